package ref

import (
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/bench/nexmark/generator"
)

// TestChangelogQueries checks the references of the changelog queries on
// hand-made events, expected values worked out by hand from the SQL.
func TestChangelogQueries(t *testing.T) {
	bid := func(auction, bidder, price int64, sec float64) generator.Bid {
		return generator.Bid{Auction: auction, Bidder: bidder, Price: price, DateTime: at(sec), Channel: "c", URL: "u", Extra: "x"}
	}
	// Auction 1 (category 10) is open 0–10 s, 2 (category 10) 0–5 s, 3
	// (category 11) 0–100 s.
	auctions := []generator.Auction{
		{ID: 1, Category: 10, DateTime: at(0), Expires: at(10)},
		{ID: 2, Category: 10, DateTime: at(0), Expires: at(5)},
		{ID: 3, Category: 11, DateTime: at(0), Expires: at(100)},
	}
	bids := []generator.Bid{
		bid(1, 7, 100, 1), bid(1, 8, 300, 2), bid(1, 7, 900, 11), // 900 comes after auction 1 closed
		bid(2, 7, 50, 5),                 // at the expiry: BETWEEN includes it
		bid(3, 9, 5, 3), bid(3, 9, 5, 3), // tied on price and time
	}
	row := func(b generator.Bid) Row { return bidOut(b) }
	tests := []struct {
		name  string
		query Query
		want  []Row
	}{
		// Category 10: maxima 300 and 50, average 175; category 11: 5.
		{"q4", Q4, []Row{{"id": int64(10), "final": int64(175)}, {"id": int64(11), "final": int64(5)}}},
		{"q18", Q18, []Row{row(bids[2]), row(bids[1]), row(bids[3]), row(bids[4]), row(bids[5])}},
		// Auction 1 has 3 bids (all kept: fewer than 10), auction 2 one,
		// auction 3 two.
		{"q19", Q19, []Row{row(bids[0]), row(bids[1]), row(bids[2]), row(bids[3]), row(bids[4]), row(bids[5])}},
	}
	ev := generator.Events{Auctions: auctions, Bids: bids}
	for _, tt := range tests {
		if diff := cmp.Diff(sortRows(tt.want), sortRows(tt.query(ev))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	// q9: auction 1's winner is the 300 bid (900 came after it closed),
	// auction 2's its only bid, auction 3's both tied bids.
	var winners []int64
	for _, r := range Q9(ev) {
		winners = append(winners, r["id"].(int64)*1000+r["price"].(int64))
	}
	if diff := cmp.Diff([]int64{1300, 2050, 3005, 3005}, winners); diff != "" {
		t.Errorf("q9 winners (-want +got):\n%s", diff)
	}
}

// TestQ19KeepsTiesWithTheTenth: 12 bids, the 10th and 11th priced alike.
func TestQ19KeepsTiesWithTheTenth(t *testing.T) {
	var bids []generator.Bid
	for i, p := range []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 3, 1} {
		bids = append(bids, generator.Bid{Auction: 1, Bidder: int64(i), Price: p, DateTime: at(float64(i))})
	}
	if got := len(Q19(generator.Events{Bids: bids})); got != 11 {
		t.Errorf("q19 kept %d bids, want 11 (the top 10 and the bid tied with the 10th)", got)
	}
}

func sortRows(rows []Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r)) // fmt prints map keys sorted
	}
	sort.Strings(out)
	return out
}
