package ref

import (
	"cmp"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pipeline-compiler/pipeline/bench/nexmark/generator"
)

// Row is one output record: column name to value (int64, float64, string
// or nil).
type Row map[string]any

// Query computes one query's output rows from events.
type Query func(ev generator.Events) []Row

// Queries are the queries the specs express, by name.
var Queries = map[string]Query{
	"q0": Q0, "q1": Q1, "q2": Q2, "q3": Q3, "q5": Q5, "q7": Q7, "q8": Q8, "q10": Q10, "q11": Q11, "q12": Q12, "q13": Q13,
	"q14": Q14, "q15": Q15, "q16": Q16, "q17": Q17, "q20": Q20, "q21": Q21, "q22": Q22,
}

// Inputs names the event kinds each query reads ("person", "auction",
// "bid", "side_input").
var Inputs = map[string][]string{
	"q0": {"bid"}, "q1": {"bid"}, "q2": {"bid"}, "q3": {"auction", "person"}, "q5": {"bid"}, "q7": {"bid"}, "q8": {"person", "auction"},
	"q10": {"bid"}, "q11": {"bid"}, "q12": {"bid"}, "q13": {"bid", "side_input"}, "q14": {"bid"}, "q15": {"bid"},
	"q16": {"bid"}, "q17": {"bid"}, "q20": {"bid", "auction"}, "q21": {"bid"}, "q22": {"bid"},
}

// ts is an event time as the generator writes it: RFC 3339 UTC with
// milliseconds.
func ts(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }

// bound is a window bound as window results carry it: RFC 3339 UTC, with
// milliseconds only when they are not zero.
func bound(ms int64) string {
	if ms%1000 == 0 {
		return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05Z")
	}
	return ts(ms)
}

func day(ms int64) string    { return time.UnixMilli(ms).UTC().Format("2006-01-02") }
func minute(ms int64) string { return time.UnixMilli(ms).UTC().Format("15:04") }

// euro is 0.908 × price as JSON numbers compute it: the float64 nearest
// 0.908 times the price, rounded once. The SQL's DECIMAL(23, 3) result can
// be an ulp away (0.908 × 30800737 is 27967069.196, the float64 product
// 27967069.196000002); JSON output cannot carry the decimal anyway.
func euro(price int64) float64 { return 0.908 * float64(price) }

// euroBetween reports lo < 0.908 × price < hi, exactly.
func euroBetween(price, lo, hi int64) bool {
	x := new(big.Rat).Mul(big.NewRat(908, 1000), new(big.Rat).SetInt64(price))
	return x.Cmp(new(big.Rat).SetInt64(lo)) > 0 && x.Cmp(new(big.Rat).SetInt64(hi)) < 0
}

// Q0 passes every bid through.
func Q0(ev generator.Events) []Row {
	var out []Row
	for _, b := range ev.Bids {
		out = append(out, Row{"auction": b.Auction, "bidder": b.Bidder, "price": b.Price, "dateTime": ts(b.DateTime), "extra": b.Extra})
	}
	return out
}

// Q1 converts every bid's price to euros.
func Q1(ev generator.Events) []Row {
	var out []Row
	for _, b := range ev.Bids {
		out = append(out, Row{"auction": b.Auction, "bidder": b.Bidder, "price": euro(b.Price), "dateTime": ts(b.DateTime), "extra": b.Extra})
	}
	return out
}

// Q2 selects the bids on every 123rd auction.
func Q2(ev generator.Events) []Row {
	var out []Row
	for _, b := range ev.Bids {
		if b.Auction%123 == 0 {
			out = append(out, Row{"auction": b.Auction, "price": b.Price})
		}
	}
	return out
}

// Q3: sellers in OR, ID or CA of auctions in category 10.
func Q3(ev generator.Events) []Row {
	persons := map[int64]generator.Person{}
	for _, p := range ev.Persons {
		persons[p.ID] = p
	}
	var out []Row
	for _, a := range ev.Auctions {
		p, ok := persons[a.Seller]
		if !ok || a.Category != 10 || (p.State != "OR" && p.State != "ID" && p.State != "CA") {
			continue
		}
		out = append(out, Row{"name": p.Name, "city": p.City, "state": p.State, "id": a.ID})
	}
	return out
}

// Q5: per 10 s window sliding by 2 s, the auctions with the most bids
// (every auction tied for the most), in window then auction order.
func Q5(ev generator.Events) []Row {
	const size, slide = 10_000, 2_000
	counts := map[int64]map[int64]int64{} // window start -> auction -> bids
	for _, b := range ev.Bids {
		last := b.DateTime - b.DateTime%slide // the latest window holding the bid
		for start := last; start > b.DateTime-size; start -= slide {
			if counts[start] == nil {
				counts[start] = map[int64]int64{}
			}
			counts[start][b.Auction]++
		}
	}
	var starts []int64
	for start := range counts {
		starts = append(starts, start)
	}
	slices.Sort(starts)
	var out []Row
	for _, start := range starts {
		var most int64
		var auctions []int64
		for auction, n := range counts[start] {
			most = max(most, n)
			auctions = append(auctions, auction)
		}
		slices.Sort(auctions)
		for _, auction := range auctions {
			if counts[start][auction] == most {
				out = append(out, Row{"auction": auction, "num": most})
			}
		}
	}
	return out
}

// Q7: the bids with the highest price of their 10 s tumbling window,
// every tied bid kept. As the SQL: the maximum price per window joined back
// to the bids whose dateTime is BETWEEN the window's rowtime (end − 1 ms)
// − 10 s AND its rowtime, both inclusive. That range is one millisecond
// wider than the window, at its start: a bid at start − 1 ms (of the
// previous window) with a price equal to this window's maximum joins it
// too; such bids are listed once per window they join. Rows come in window
// order, then bid order.
func Q7(ev generator.Events) []Row {
	const size = 10_000
	maxPrice := map[int64]int64{} // window start -> the highest price
	for _, b := range ev.Bids {
		start := b.DateTime - b.DateTime%size
		if m, ok := maxPrice[start]; !ok || b.Price > m {
			maxPrice[start] = b.Price
		}
	}
	var starts []int64
	for start := range maxPrice {
		starts = append(starts, start)
	}
	slices.Sort(starts)
	var out []Row
	for _, start := range starts {
		rowtime := start + size - 1
		for _, b := range ev.Bids {
			if b.Price == maxPrice[start] && b.DateTime >= rowtime-size && b.DateTime <= rowtime {
				out = append(out, Row{"auction": b.Auction, "price": b.Price, "bidder": b.Bidder,
					"dateTime": ts(b.DateTime), "extra": b.Extra})
			}
		}
	}
	return out
}

// Q8: persons who created an auction in the 10 s tumbling window in which
// they entered the system.
func Q8(ev generator.Events) []Row {
	const size = 10_000
	type sellerWin struct{ seller, start int64 }
	sold := map[sellerWin]bool{}
	for _, a := range ev.Auctions {
		sold[sellerWin{a.Seller, a.DateTime - a.DateTime%size}] = true
	}
	type personWin struct {
		id    int64
		name  string
		start int64
	}
	seen := map[personWin]bool{}
	var out []Row
	for _, p := range ev.Persons {
		k := personWin{p.ID, p.Name, p.DateTime - p.DateTime%size}
		if seen[k] || !sold[sellerWin{p.ID, k.start}] {
			continue
		}
		seen[k] = true
		out = append(out, Row{"id": p.ID, "name": p.Name, "stime": bound(k.start)})
	}
	return out
}

// Q10: every bid with its day and minute.
func Q10(ev generator.Events) []Row {
	var out []Row
	for _, b := range ev.Bids {
		out = append(out, Row{"auction": b.Auction, "bidder": b.Bidder, "price": b.Price, "dateTime": ts(b.DateTime),
			"extra": b.Extra, "dt": day(b.DateTime), "hm": minute(b.DateTime)})
	}
	return out
}

// Q11: bids per bidder session; a session ends 10 s after its last bid
// unless another bid of the bidder comes before then.
func Q11(ev generator.Events) []Row {
	const gap = 10_000
	byBidder := map[int64][]int64{}
	var bidders []int64
	for _, b := range ev.Bids {
		if _, ok := byBidder[b.Bidder]; !ok {
			bidders = append(bidders, b.Bidder)
		}
		byBidder[b.Bidder] = append(byBidder[b.Bidder], b.DateTime)
	}
	var out []Row
	for _, bidder := range bidders {
		times := byBidder[bidder]
		slices.Sort(times)
		start, end, n := times[0], times[0]+gap, int64(0)
		for _, t := range times {
			if t >= end {
				out = append(out, Row{"bidder": bidder, "bid_count": n, "starttime": bound(start), "endtime": bound(end)})
				start, n = t, 0
			}
			end = t + gap
			n++
		}
		out = append(out, Row{"bidder": bidder, "bid_count": n, "starttime": bound(start), "endtime": bound(end)})
	}
	return out
}

// Q12: bids per bidder in 10 s tumbling windows of processing time. A
// processing-time answer depends on when records arrive; the test runner's
// clock has each record arrive at its event time (README, "Processing-time
// windows"), and this computes that answer: the count per bidder and 10 s
// of dateTime, in window then bidder order.
func Q12(ev generator.Events) []Row {
	const size = 10_000
	type win struct{ start, bidder int64 }
	counts := map[win]int64{}
	for _, b := range ev.Bids {
		counts[win{b.DateTime - b.DateTime%size, b.Bidder}]++
	}
	wins := slices.Collect(maps.Keys(counts))
	slices.SortFunc(wins, func(a, b win) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.bidder, b.bidder)) })
	var out []Row
	for _, w := range wins {
		out = append(out, Row{"bidder": w.bidder, "bid_count": counts[w], "starttime": bound(w.start), "endtime": bound(w.start + size)})
	}
	return out
}

// SideInput is q13's side input: key i has value "i", for i below
// SideInputRows (what the gen command writes).
const SideInputRows = 10000

// Q13 joins every bid with the side input row of auction mod 10000.
func Q13(ev generator.Events) []Row {
	var out []Row
	for _, b := range ev.Bids {
		out = append(out, Row{"auction": b.Auction, "bidder": b.Bidder, "price": b.Price, "dateTime": ts(b.DateTime),
			"value": strconv.FormatInt(b.Auction%SideInputRows, 10)})
	}
	return out
}

// Q14: bids whose euro price is strictly between 1,000,000 and 50,000,000,
// with the time of day of the bid and the number of c's in extra.
func Q14(ev generator.Events) []Row {
	var out []Row
	for _, b := range ev.Bids {
		if !euroBetween(b.Price, 1_000_000, 50_000_000) {
			continue
		}
		h := time.UnixMilli(b.DateTime).UTC().Hour()
		kind := "otherTime"
		switch {
		case h >= 8 && h <= 18:
			kind = "dayTime"
		case h <= 6 || h >= 20:
			kind = "nightTime"
		}
		out = append(out, Row{"auction": b.Auction, "bidder": b.Bidder, "price": euro(b.Price), "bidTimeType": kind,
			"dateTime": ts(b.DateTime), "extra": b.Extra, "c_counts": int64(strings.Count(b.Extra, "c"))})
	}
	return out
}

// rank is a bid's price rank: 1 below 10,000, 2 below 1,000,000, else 3.
func rank(price int64) int {
	switch {
	case price < 10_000:
		return 1
	case price < 1_000_000:
		return 2
	}
	return 3
}

// rankStats accumulates the bids, bidders and auctions of q15 and q16.
type rankStats struct {
	bids     [4]int64 // [0] all, [r] rank r
	bidders  [4]map[int64]bool
	auctions [4]map[int64]bool
	minute   string
}

func (s *rankStats) add(b generator.Bid) {
	for _, i := range []int{0, rank(b.Price)} {
		s.bids[i]++
		if s.bidders[i] == nil {
			s.bidders[i], s.auctions[i] = map[int64]bool{}, map[int64]bool{}
		}
		s.bidders[i][b.Bidder] = true
		s.auctions[i][b.Auction] = true
	}
	s.minute = max(s.minute, minute(b.DateTime))
}

func (s *rankStats) fill(r Row) Row {
	for i, p := range []string{"total", "rank1", "rank2", "rank3"} {
		r[p+"_bids"] = s.bids[i]
		r[p+"_bidders"] = int64(len(s.bidders[i]))
		r[p+"_auctions"] = int64(len(s.auctions[i]))
	}
	return r
}

// Q15: bids, distinct bidders and distinct auctions per day, in total and
// per price rank.
func Q15(ev generator.Events) []Row {
	stats := map[string]*rankStats{}
	var days []string
	for _, b := range ev.Bids {
		d := day(b.DateTime)
		if stats[d] == nil {
			stats[d] = &rankStats{}
			days = append(days, d)
		}
		stats[d].add(b)
	}
	var out []Row
	for _, d := range days {
		out = append(out, stats[d].fill(Row{"day": d}))
	}
	return out
}

// Q16: q15 per channel and day, with the latest minute of a bid.
func Q16(ev generator.Events) []Row {
	type key struct{ channel, day string }
	stats := map[key]*rankStats{}
	var keys []key
	for _, b := range ev.Bids {
		k := key{b.Channel, day(b.DateTime)}
		if stats[k] == nil {
			stats[k] = &rankStats{}
			keys = append(keys, k)
		}
		stats[k].add(b)
	}
	var out []Row
	for _, k := range keys {
		out = append(out, stats[k].fill(Row{"channel": k.channel, "day": k.day, "minute": stats[k].minute}))
	}
	return out
}

// Q17: bids per rank and price statistics per auction and day; avg_price
// is the truncated average (BIGINT in the SQL).
func Q17(ev generator.Events) []Row {
	type key struct {
		auction int64
		day     string
	}
	type acc struct{ n, r1, r2, r3, lo, hi, sum int64 }
	accs := map[key]*acc{}
	var keys []key
	for _, b := range ev.Bids {
		k := key{b.Auction, day(b.DateTime)}
		a := accs[k]
		if a == nil {
			a = &acc{lo: b.Price, hi: b.Price}
			accs[k] = a
			keys = append(keys, k)
		}
		a.n++
		switch rank(b.Price) {
		case 1:
			a.r1++
		case 2:
			a.r2++
		default:
			a.r3++
		}
		a.lo, a.hi, a.sum = min(a.lo, b.Price), max(a.hi, b.Price), a.sum+b.Price
	}
	var out []Row
	for _, k := range keys {
		a := accs[k]
		out = append(out, Row{"auction": k.auction, "day": k.day, "total_bids": a.n, "rank1_bids": a.r1, "rank2_bids": a.r2,
			"rank3_bids": a.r3, "min_price": a.lo, "max_price": a.hi, "avg_price": a.sum / a.n, "sum_price": a.sum})
	}
	return out
}

// Q20: bids joined with their auction, for auctions in category 10.
func Q20(ev generator.Events) []Row {
	auctions := map[int64]generator.Auction{}
	for _, a := range ev.Auctions {
		auctions[a.ID] = a
	}
	var out []Row
	for _, b := range ev.Bids {
		a, ok := auctions[b.Auction]
		if !ok || a.Category != 10 {
			continue
		}
		out = append(out, Row{"auction": b.Auction, "bidder": b.Bidder, "price": b.Price, "channel": b.Channel, "url": b.URL,
			"bid_dateTime": ts(b.DateTime), "bid_extra": b.Extra, "itemName": a.ItemName, "description": a.Description,
			"initialBid": a.InitialBid, "reserve": a.Reserve, "auction_dateTime": ts(a.DateTime), "expires": ts(a.Expires),
			"seller": a.Seller, "category": a.Category, "auction_extra": a.Extra})
	}
	return out
}

// channelID extracts the value of a channel_id query parameter, as
// REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2): a parameter after &
// (or the whole string starting with it), up to the next &.
func channelID(url string) (string, bool) {
	for i := 0; ; {
		j := strings.Index(url[i:], "channel_id=")
		if j < 0 {
			return "", false
		}
		j += i
		if j == 0 || url[j-1] == '&' {
			v := url[j+len("channel_id="):]
			if k := strings.IndexByte(v, '&'); k >= 0 {
				v = v[:k]
			}
			return v, true
		}
		i = j + 1
	}
}

// Q21: bids with a channel id: 0 to 3 for the four known channels, else the
// URL's channel_id; bids with neither are dropped.
func Q21(ev generator.Events) []Row {
	known := map[string]string{"apple": "0", "google": "1", "facebook": "2", "baidu": "3"}
	var out []Row
	for _, b := range ev.Bids {
		id, ok := known[strings.ToLower(b.Channel)]
		if !ok {
			if id, ok = channelID(b.URL); !ok {
				continue
			}
		}
		out = append(out, Row{"auction": b.Auction, "bidder": b.Bidder, "price": b.Price, "channel": b.Channel, "channel_id": id})
	}
	return out
}

// splitIndex is SPLIT_INDEX(s, sep, i): the i-th piece (from 0), or nil
// when there are fewer pieces.
func splitIndex(s, sep string, i int) any {
	parts := strings.Split(s, sep)
	if i >= len(parts) {
		return nil
	}
	return parts[i]
}

// Q22: bids with the first three directories of their URL.
func Q22(ev generator.Events) []Row {
	var out []Row
	for _, b := range ev.Bids {
		out = append(out, Row{"auction": b.Auction, "bidder": b.Bidder, "price": b.Price, "channel": b.Channel,
			"dir1": splitIndex(b.URL, "/", 3), "dir2": splitIndex(b.URL, "/", 4), "dir3": splitIndex(b.URL, "/", 5)})
	}
	return out
}
