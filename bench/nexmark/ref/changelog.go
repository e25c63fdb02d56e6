package ref

import (
	"slices"

	"github.com/pipeline-compiler/pipeline/bench/nexmark/generator"
)

// The queries whose SQL answer is a changelog (un-windowed aggregates and
// ROW_NUMBER rankings, issue 13). Their rows are the final table over the
// bounded input: what the changelog leaves once every event is applied.
func init() {
	for q, f := range map[string]Query{"q4": Q4, "q9": Q9, "q18": Q18, "q19": Q19} {
		Queries[q] = f
	}
	Inputs["q4"] = []string{"auction", "bid"}
	Inputs["q9"] = []string{"auction", "bid"}
	Inputs["q18"] = []string{"bid"}
	Inputs["q19"] = []string{"bid"}
}

// openBid is a bid placed while its auction was open (between the
// auction's dateTime and expires, both included).
type openBid struct {
	a generator.Auction
	b generator.Bid
}

func openBids(ev generator.Events) []openBid {
	auctions := map[int64]generator.Auction{}
	for _, a := range ev.Auctions {
		auctions[a.ID] = a
	}
	var out []openBid
	for _, b := range ev.Bids {
		if a, ok := auctions[b.Auction]; ok && b.DateTime >= a.DateTime && b.DateTime <= a.Expires {
			out = append(out, openBid{a, b})
		}
	}
	return out
}

// Q4: per category, the average over its auctions (those with an open
// bid) of the auction's highest open bid, truncated to an integer (AVG of
// a BIGINT), in category order.
func Q4(ev generator.Events) []Row {
	type auction struct{ id, category int64 }
	best := map[auction]int64{}
	for _, ob := range openBids(ev) {
		k := auction{ob.a.ID, ob.a.Category}
		if p, ok := best[k]; !ok || ob.b.Price > p {
			best[k] = ob.b.Price
		}
	}
	sum, n := map[int64]int64{}, map[int64]int64{}
	for k, p := range best {
		sum[k.category] += p
		n[k.category]++
	}
	var cats []int64
	for c := range n {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	var out []Row
	for _, c := range cats {
		out = append(out, Row{"id": c, "final": sum[c] / n[c]})
	}
	return out
}

// Q9: per auction, its open bid with the highest price, the earliest
// among equal prices (every bid tied on both), with the auction's columns.
func Q9(ev generator.Events) []Row {
	best := map[int64][]openBid{}
	var ids []int64
	for _, ob := range openBids(ev) {
		cur, ok := best[ob.a.ID]
		if !ok {
			ids = append(ids, ob.a.ID)
		}
		switch {
		case !ok || ob.b.Price > cur[0].b.Price || (ob.b.Price == cur[0].b.Price && ob.b.DateTime < cur[0].b.DateTime):
			best[ob.a.ID] = []openBid{ob}
		case ob.b.Price == cur[0].b.Price && ob.b.DateTime == cur[0].b.DateTime:
			best[ob.a.ID] = append(cur, ob)
		}
	}
	var out []Row
	for _, id := range ids {
		for _, ob := range best[id] {
			a, b := ob.a, ob.b
			out = append(out, Row{"id": a.ID, "itemName": a.ItemName, "description": a.Description, "initialBid": a.InitialBid,
				"reserve": a.Reserve, "dateTime": ts(a.DateTime), "expires": ts(a.Expires), "seller": a.Seller,
				"category": a.Category, "extra": a.Extra, "auction": b.Auction, "bidder": b.Bidder, "price": b.Price,
				"bid_dateTime": ts(b.DateTime), "bid_extra": b.Extra})
		}
	}
	return out
}

func bidOut(b generator.Bid) Row {
	return Row{"auction": b.Auction, "bidder": b.Bidder, "price": b.Price, "channel": b.Channel, "url": b.URL,
		"dateTime": ts(b.DateTime), "extra": b.Extra}
}

// Q18: per bidder and auction, the latest bid (every bid at that time).
func Q18(ev generator.Events) []Row {
	type pair struct{ bidder, auction int64 }
	last := map[pair][]generator.Bid{}
	var pairs []pair
	for _, b := range ev.Bids {
		k := pair{b.Bidder, b.Auction}
		cur, ok := last[k]
		switch {
		case !ok:
			pairs = append(pairs, k)
			last[k] = []generator.Bid{b}
		case b.DateTime > cur[0].DateTime:
			last[k] = []generator.Bid{b}
		case b.DateTime == cur[0].DateTime:
			last[k] = append(cur, b)
		}
	}
	var out []Row
	for _, k := range pairs {
		for _, b := range last[k] {
			out = append(out, bidOut(b))
		}
	}
	return out
}

// Q19: per auction, its 10 highest bids, and every bid priced as the
// 10th (rank semantics).
func Q19(ev generator.Events) []Row {
	const n = 10
	byAuction := map[int64][]generator.Bid{}
	var auctions []int64
	for _, b := range ev.Bids {
		if _, ok := byAuction[b.Auction]; !ok {
			auctions = append(auctions, b.Auction)
		}
		byAuction[b.Auction] = append(byAuction[b.Auction], b)
	}
	var out []Row
	for _, a := range auctions {
		bids := byAuction[a]
		prices := make([]int64, len(bids))
		for i, b := range bids {
			prices[i] = b.Price
		}
		slices.Sort(prices)
		slices.Reverse(prices)
		cut := prices[min(n, len(prices))-1] // the 10th highest price
		for _, b := range bids {
			if b.Price >= cut {
				out = append(out, bidOut(b))
			}
		}
	}
	return out
}
