package ref

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/bench/nexmark/generator"
)

// at is 2026-01-01T00:00:00Z plus s seconds, in epoch milliseconds.
func at(s float64) int64 {
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() + int64(s*1000)
}

func TestQueries(t *testing.T) {
	bid := func(auction, bidder, price int64, sec float64) generator.Bid {
		return generator.Bid{Auction: auction, Bidder: bidder, Price: price, DateTime: at(sec), Channel: "Google", URL: "https://h/a/b/c/item.htm?query=1", Extra: "ccx"}
	}
	tests := []struct {
		name  string
		query Query
		ev    generator.Events
		want  []Row
	}{
		{
			name:  "q1 converts 1000 dollars to 908 euros and 1 cent to 0.908",
			query: Q1,
			ev:    generator.Events{Bids: []generator.Bid{bid(1, 2, 1000, 0), bid(1, 2, 1, 0), bid(1, 2, 30800737, 0)}},
			want: []Row{
				{"auction": int64(1), "bidder": int64(2), "price": 908.0, "dateTime": "2026-01-01T00:00:00.000Z", "extra": "ccx"},
				{"auction": int64(1), "bidder": int64(2), "price": 0.908, "dateTime": "2026-01-01T00:00:00.000Z", "extra": "ccx"},
				// float64(0.908) is 0.90800000000000002931…, so the product
				// rounds up from the decimal 27967069.196.
				{"auction": int64(1), "bidder": int64(2), "price": 27967069.196000002, "dateTime": "2026-01-01T00:00:00.000Z", "extra": "ccx"},
			},
		},
		{
			name:  "q2 keeps auctions 0 mod 123 only",
			query: Q2,
			ev:    generator.Events{Bids: []generator.Bid{bid(1230, 1, 5, 0), bid(1231, 1, 6, 0), bid(1107, 1, 7, 0)}},
			want:  []Row{{"auction": int64(1230), "price": int64(5)}, {"auction": int64(1107), "price": int64(7)}},
		},
		{
			name:  "q3 joins category-10 auctions with sellers in OR, ID, CA",
			query: Q3,
			ev: generator.Events{
				Persons: []generator.Person{{ID: 1, Name: "A", City: "Bend", State: "OR"}, {ID: 2, Name: "B", City: "Kent", State: "WA"}},
				Auctions: []generator.Auction{
					{ID: 10, Seller: 1, Category: 10}, {ID: 11, Seller: 1, Category: 11},
					{ID: 12, Seller: 2, Category: 10}, {ID: 13, Seller: 3, Category: 10},
				},
			},
			want: []Row{{"name": "A", "city": "Bend", "state": "OR", "id": int64(10)}},
		},
		{
			// Windows start every 2 s and last 10 s. Auction 1 has bids at 1 s
			// and 3 s, auction 2 at 3.5 s and 11 s, auction 3 at 11.5 s.
			name:  "q5 keeps the auctions with the most bids per hopping window, ties included",
			query: Q5,
			ev: generator.Events{Bids: []generator.Bid{
				bid(1, 9, 1, 1), bid(1, 9, 1, 3), bid(2, 9, 1, 3.5), bid(2, 9, 1, 11), bid(3, 9, 1, 11.5),
			}},
			want: []Row{
				{"auction": int64(1), "num": int64(1)},                                         // [-8,2): 1:1
				{"auction": int64(1), "num": int64(2)},                                         // [-6,4): 1:2
				{"auction": int64(1), "num": int64(2)},                                         // [-4,6): 1:2 2:1
				{"auction": int64(1), "num": int64(2)},                                         // [-2,8): 1:2 2:1
				{"auction": int64(1), "num": int64(2)},                                         // [0,10): 1:2 2:1
				{"auction": int64(2), "num": int64(2)},                                         // [2,12): 1:1 2:2 3:1
				{"auction": int64(2), "num": int64(1)}, {"auction": int64(3), "num": int64(1)}, // [4,14): 2:1 3:1, tie (3.5 s is before 4 s)
				{"auction": int64(2), "num": int64(1)}, {"auction": int64(3), "num": int64(1)}, // [6,16): tie
				{"auction": int64(2), "num": int64(1)}, {"auction": int64(3), "num": int64(1)}, // [8,18): tie
				{"auction": int64(2), "num": int64(1)}, {"auction": int64(3), "num": int64(1)}, // [10,20): tie
			},
		},
		{
			// Window [0,10) has prices 5, 7, 7 (a tie) and [10,20) prices 7
			// and 3. The SQL's range for [10,20) is 9.999 s to 19.999 s, so
			// the 7 at 9.999 s joins both windows; the 7 at 20 s is in
			// [20,30), whose maximum it is, and not in [10,20)'s range.
			name:  "q7 keeps every bid with its window's highest price, with the SQL's 1 ms overlap",
			query: Q7,
			ev: generator.Events{Bids: []generator.Bid{
				bid(1, 9, 5, 1), bid(2, 8, 7, 2), bid(3, 7, 7, 9.999), bid(4, 6, 7, 10.5), bid(5, 6, 3, 12), bid(6, 6, 7, 20),
			}},
			want: []Row{
				{"auction": int64(2), "bidder": int64(8), "price": int64(7), "dateTime": "2026-01-01T00:00:02.000Z", "extra": "ccx"},
				{"auction": int64(3), "bidder": int64(7), "price": int64(7), "dateTime": "2026-01-01T00:00:09.999Z", "extra": "ccx"},
				{"auction": int64(3), "bidder": int64(7), "price": int64(7), "dateTime": "2026-01-01T00:00:09.999Z", "extra": "ccx"},
				{"auction": int64(4), "bidder": int64(6), "price": int64(7), "dateTime": "2026-01-01T00:00:10.500Z", "extra": "ccx"},
				{"auction": int64(6), "bidder": int64(6), "price": int64(7), "dateTime": "2026-01-01T00:00:20.000Z", "extra": "ccx"},
			},
		},
		{
			// Bidder 9 bids at 1 s, 9.9 s and 10 s, bidder 8 at 12 s: 10 s
			// starts the second window.
			name:  "q12 counts bids per bidder and 10 s window",
			query: Q12,
			ev: generator.Events{Bids: []generator.Bid{
				bid(1, 9, 1, 1), bid(1, 9, 1, 9.9), bid(1, 9, 1, 10), bid(1, 8, 1, 12),
			}},
			want: []Row{
				{"bidder": int64(9), "bid_count": int64(2), "starttime": "2026-01-01T00:00:00Z", "endtime": "2026-01-01T00:00:10Z"},
				{"bidder": int64(8), "bid_count": int64(1), "starttime": "2026-01-01T00:00:10Z", "endtime": "2026-01-01T00:00:20Z"},
				{"bidder": int64(9), "bid_count": int64(1), "starttime": "2026-01-01T00:00:10Z", "endtime": "2026-01-01T00:00:20Z"},
			},
		},
		{
			// Person 1 enters at 3 s and sells at 9.999 s (window [0,10)); person 2
			// enters at 5 s but sells at 10 s, in the next window.
			name:  "q8 matches person and seller in the same 10 s window",
			query: Q8,
			ev: generator.Events{
				Persons:  []generator.Person{{ID: 1, Name: "A", DateTime: at(3)}, {ID: 2, Name: "B", DateTime: at(5)}},
				Auctions: []generator.Auction{{ID: 10, Seller: 1, DateTime: at(9.999)}, {ID: 11, Seller: 1, DateTime: at(1)}, {ID: 12, Seller: 2, DateTime: at(10)}},
			},
			want: []Row{{"id": int64(1), "name": "A", "stime": "2026-01-01T00:00:00Z"}},
		},
		{
			// Bidder 7 bids at 0, 9.5 and 19 s: gaps under 10 s, one session
			// [0, 29). Bidder 8 bids at 0 and 10 s: the gap is exactly 10 s, so
			// the first session [0, 10) has ended.
			name:  "q11 splits sessions at a 10 s gap",
			query: Q11,
			ev:    generator.Events{Bids: []generator.Bid{bid(1, 7, 1, 0), bid(1, 8, 1, 0), bid(1, 7, 1, 9.5), bid(1, 8, 1, 10), bid(1, 7, 1, 19)}},
			want: []Row{
				{"bidder": int64(7), "bid_count": int64(3), "starttime": "2026-01-01T00:00:00Z", "endtime": "2026-01-01T00:00:29Z"},
				{"bidder": int64(8), "bid_count": int64(1), "starttime": "2026-01-01T00:00:00Z", "endtime": "2026-01-01T00:00:10Z"},
				{"bidder": int64(8), "bid_count": int64(1), "starttime": "2026-01-01T00:00:10Z", "endtime": "2026-01-01T00:00:20Z"},
			},
		},
		{
			// 0.908 × 1101321 = 999,999.468 (out); × 1101322 = 1,000,000.376 (in,
			// at 09:00, daytime); × 55066079 = 49,999,999.732 (in, at 19:00, other).
			name:  "q14 keeps the open euro band and names the time of day",
			query: Q14,
			ev: generator.Events{Bids: []generator.Bid{
				bid(1, 1, 1101321, 0), bid(1, 1, 1101322, 9*3600), bid(1, 1, 55066079, 19*3600), bid(1, 1, 55066080, 0),
			}},
			want: []Row{
				{"auction": int64(1), "bidder": int64(1), "price": 1000000.376, "bidTimeType": "dayTime", "dateTime": "2026-01-01T09:00:00.000Z", "extra": "ccx", "c_counts": int64(2)},
				{"auction": int64(1), "bidder": int64(1), "price": 49999999.732, "bidTimeType": "otherTime", "dateTime": "2026-01-01T19:00:00.000Z", "extra": "ccx", "c_counts": int64(2)},
			},
		},
		{
			name:  "q15 counts bids, bidders and auctions per rank",
			query: Q15,
			ev:    generator.Events{Bids: []generator.Bid{bid(1, 7, 9999, 0), bid(1, 7, 10000, 1), bid(2, 8, 10000, 2), bid(2, 7, 1000000, 3)}},
			want: []Row{{
				"day": "2026-01-01", "total_bids": int64(4), "rank1_bids": int64(1), "rank2_bids": int64(2), "rank3_bids": int64(1),
				"total_bidders": int64(2), "rank1_bidders": int64(1), "rank2_bidders": int64(2), "rank3_bidders": int64(1),
				"total_auctions": int64(2), "rank1_auctions": int64(1), "rank2_auctions": int64(2), "rank3_auctions": int64(1),
			}},
		},
		{
			name:  "q17 truncates the average price",
			query: Q17,
			ev:    generator.Events{Bids: []generator.Bid{bid(1, 7, 10, 0), bid(1, 8, 11, 1), bid(1, 8, 1000000, 86400)}},
			want: []Row{
				{"auction": int64(1), "day": "2026-01-01", "total_bids": int64(2), "rank1_bids": int64(2), "rank2_bids": int64(0), "rank3_bids": int64(0),
					"min_price": int64(10), "max_price": int64(11), "avg_price": int64(10), "sum_price": int64(21)},
				{"auction": int64(1), "day": "2026-01-02", "total_bids": int64(1), "rank1_bids": int64(0), "rank2_bids": int64(0), "rank3_bids": int64(1),
					"min_price": int64(1000000), "max_price": int64(1000000), "avg_price": int64(1000000), "sum_price": int64(1000000)},
			},
		},
		{
			name:  "q21 maps known channels and extracts channel_id, dropping the rest",
			query: Q21,
			ev: generator.Events{Bids: []generator.Bid{
				{Auction: 1, Channel: "Apple", URL: "x"},
				{Auction: 2, Channel: "channel-5", URL: "https://h/a?query=1&channel_id=-42&z=1"},
				{Auction: 3, Channel: "channel-6", URL: "https://h/a?query=1&xchannel_id=9"},
				{Auction: 4, Channel: "c", URL: "channel_id=7"},
			}},
			want: []Row{
				{"auction": int64(1), "bidder": int64(0), "price": int64(0), "channel": "Apple", "channel_id": "0"},
				{"auction": int64(2), "bidder": int64(0), "price": int64(0), "channel": "channel-5", "channel_id": "-42"},
				{"auction": int64(4), "bidder": int64(0), "price": int64(0), "channel": "c", "channel_id": "7"},
			},
		},
		{
			name:  "q22 splits the URL's directories",
			query: Q22,
			ev:    generator.Events{Bids: []generator.Bid{bid(1, 2, 3, 0), {URL: "https://h/a"}}},
			want: []Row{
				{"auction": int64(1), "bidder": int64(2), "price": int64(3), "channel": "Google", "dir1": "a", "dir2": "b", "dir3": "c"},
				{"auction": int64(0), "bidder": int64(0), "price": int64(0), "channel": "", "dir1": "a", "dir2": nil, "dir3": nil},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, tt.query(tt.ev)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
