package generator

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func encodeAll(ev Events) []byte {
	var b []byte
	for i := range ev.Persons {
		b = append(AppendPerson(b, &ev.Persons[i]), '\n')
	}
	for i := range ev.Auctions {
		b = append(AppendAuction(b, &ev.Auctions[i]), '\n')
	}
	for i := range ev.Bids {
		b = append(AppendBid(b, &ev.Bids[i]), '\n')
	}
	return b
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Events: 5000, Seed: 7}
	a, b := encodeAll(Generate(cfg)), encodeAll(Generate(cfg))
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same config differ")
	}
	cfg.Seed = 8
	if bytes.Equal(a, encodeAll(Generate(cfg))) {
		t.Fatal("another seed gives the same events")
	}
}

// A slice starting at FirstEvent holds exactly the events of the longer
// run, so tests can take a window of the benchmark's data.
func TestSliceOfLongerRun(t *testing.T) {
	whole := Generate(Config{Events: 1000, Seed: 3})
	part := Generate(Config{Events: 500, FirstEvent: 500, Seed: 3})
	if d := cmp.Diff(whole.Bids[len(whole.Bids)-len(part.Bids):], part.Bids); d != "" {
		t.Fatalf("bids of the slice differ (-whole +slice):\n%s", d)
	}
}

func TestMix(t *testing.T) {
	ev := Generate(Config{Events: 10000, Seed: 1})
	got := []int{len(ev.Persons), len(ev.Auctions), len(ev.Bids)}
	// 10,000 events are 200 epochs of 1 person, 3 auctions, 46 bids.
	if d := cmp.Diff([]int{200, 600, 9200}, got); d != "" {
		t.Fatalf("persons, auctions, bids (-want +got):\n%s", d)
	}
	// Ids are dense and in order; every auction's seller and category are
	// in the model's ranges; prices are 1 to 100,000,000 cents.
	for i, p := range ev.Persons {
		if p.ID != FirstPersonID+int64(i) {
			t.Fatalf("person %d has id %d", i, p.ID)
		}
	}
	for i, a := range ev.Auctions {
		if a.ID != FirstAuctionID+int64(i) {
			t.Fatalf("auction %d has id %d", i, a.ID)
		}
		if a.Category < 10 || a.Category > 14 || a.Expires <= a.DateTime || a.Reserve < a.InitialBid {
			t.Fatalf("auction %+v out of the model", a)
		}
	}
	hotAuction, hotBidder, hotChannel := 0, 0, 0
	for _, b := range ev.Bids {
		if b.Price < 100 || b.Price > 100_000_000 {
			t.Fatalf("bid price %d", b.Price)
		}
		if (b.Auction-FirstAuctionID)%100 == 0 {
			hotAuction++
		}
		if (b.Bidder-FirstPersonID)%100 == 1 {
			hotBidder++
		}
		if slices.Contains(hotChannels, b.Channel) {
			hotChannel++
		}
	}
	// Half the bids go to hot auctions, 3/4 come from hot bidders and half
	// from hot channels (a few more by chance hitting a hot id).
	n := float64(len(ev.Bids))
	for _, c := range []struct {
		name     string
		got      int
		min, max float64
	}{
		{"hot auction", hotAuction, 0.48, 0.56},
		{"hot bidder", hotBidder, 0.73, 0.79},
		{"hot channel", hotChannel, 0.47, 0.53},
	} {
		if f := float64(c.got) / n; f < c.min || f > c.max {
			t.Errorf("%s share %.3f, want %.2f..%.2f", c.name, f, c.min, c.max)
		}
	}
}

func TestTimeAdvancesAtRate(t *testing.T) {
	ev := Generate(Config{Events: 1000, Seed: 1, Rate: 100})
	// Event 999 (the last bid) is 9.99 s after event 0.
	last := ev.Bids[len(ev.Bids)-1]
	if got, want := last.DateTime-DefaultStart.UnixMilli(), int64(9990); got != want {
		t.Fatalf("last event at +%d ms, want +%d", got, want)
	}
	if got := FormatTime(last.DateTime); got != "2026-01-01T00:00:09.990Z" {
		t.Fatalf("FormatTime = %s", got)
	}
}

// Every object has exactly the Nexmark DDL's fields, with JSON types that
// the specs' schemas declare; extra pads to near the reference averages.
func TestFieldsAndSizes(t *testing.T) {
	ev := Generate(Config{Events: 5000, Seed: 1})
	check := func(kind string, line []byte, want []string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("%s: %v: %s", kind, err, line)
		}
		var got []string
		for k := range m {
			got = append(got, k)
		}
		sort.Strings(got)
		sort.Strings(want)
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("%s fields (-want +got):\n%s", kind, d)
		}
		return m
	}
	check("person", AppendPerson(nil, &ev.Persons[0]), []string{"id", "name", "emailAddress", "creditCard", "city", "state", "dateTime", "extra"})
	check("auction", AppendAuction(nil, &ev.Auctions[0]), []string{"id", "itemName", "description", "initialBid", "reserve", "dateTime", "expires", "seller", "category", "extra"})
	check("bid", AppendBid(nil, &ev.Bids[0]), []string{"auction", "bidder", "price", "channel", "url", "dateTime", "extra"})

	avgExtra := func(n int, f func(i int) int) float64 {
		s := 0
		for i := range n {
			s += f(i)
		}
		return float64(s) / float64(n)
	}
	// The reference sizes: bid 100 bytes with 32 bytes of numbers, so
	// extra averages 68 bytes.
	if a := avgExtra(len(ev.Bids), func(i int) int { return len(ev.Bids[i].Extra) }); a < 66 || a > 70 {
		t.Errorf("bid extra averages %.1f bytes, want about 68", a)
	}
	if a := avgExtra(len(ev.Persons), func(i int) int {
		p := ev.Persons[i]
		return 8 + len(p.Name) + len(p.EmailAddress) + len(p.CreditCard) + len(p.City) + len(p.State) + len(p.Extra)
	}); a < 190 || a > 210 {
		t.Errorf("person averages %.1f bytes, want about 200", a)
	}
}
