package generator

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Model constants of the reference generator.
const (
	FirstPersonID   = 1000
	FirstAuctionID  = 1000
	FirstCategoryID = 10
	NumCategories   = 5

	PersonProportion  = 1
	AuctionProportion = 3
	BidProportion     = 46
	TotalProportion   = PersonProportion + AuctionProportion + BidProportion

	numActivePeople     = 1000
	numInFlightAuctions = 100
	personIDLead        = 10
	auctionIDLead       = 10
	hotAuctionRatio     = 2 // P(bid on a hot auction) = 1 - 1/2
	hotBiddersRatio     = 4
	hotSellersRatio     = 4
	hotBatch            = 100 // hot ids are the first (or second) of the last batch of 100
	hotChannelsRatio    = 2
	numChannels         = 10000

	avgPersonBytes  = 200
	avgAuctionBytes = 500
	avgBidBytes     = 100
)

var (
	usStates    = strings.Split("AZ,CA,ID,OR,WA,WY", ",")
	usCities    = strings.Split("Phoenix,Los Angeles,San Francisco,Boise,Portland,Bend,Redmond,Seattle,Kent,Cheyenne", ",")
	firstNames  = strings.Split("Peter,Paul,Luke,John,Saul,Vicky,Kate,Julie,Sarah,Deiter,Walter", ",")
	lastNames   = strings.Split("Shultz,Abrams,Spencer,White,Bartels,Walton,Smith,Jones,Noris", ",")
	hotChannels = []string{"Google", "Facebook", "Baidu", "Apple"}
)

// DefaultStart is the event time of event 0 unless Config.Start says
// otherwise: a fixed instant, so that output does not depend on the clock.
var DefaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Config says which events to generate.
type Config struct {
	// Events is how many events to generate (persons, auctions and bids
	// together).
	Events int64
	// FirstEvent is the number of the first event generated; a slice of a
	// longer run starts there (its events are those of the longer run).
	FirstEvent int64
	// Seed selects the random streams.
	Seed uint64
	// Rate is events per second of event time (default 10,000, the
	// reference's first-event rate).
	Rate float64
	// Start is the event time of event 0 (default DefaultStart).
	Start time.Time
}

func (c Config) withDefaults() Config {
	if c.Rate <= 0 {
		c.Rate = 10000
	}
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	return c
}

// Person is a new user of the auction site.
type Person struct {
	ID           int64
	Name         string
	EmailAddress string
	CreditCard   string
	City         string
	State        string
	DateTime     int64 // epoch milliseconds
	Extra        string
}

// Auction is an item put up for auction.
type Auction struct {
	ID          int64
	ItemName    string
	Description string
	InitialBid  int64
	Reserve     int64
	DateTime    int64 // epoch milliseconds
	Expires     int64 // epoch milliseconds
	Seller      int64
	Category    int64
	Extra       string
}

// Bid is a bid on an auction.
type Bid struct {
	Auction  int64
	Bidder   int64
	Price    int64
	Channel  string
	URL      string
	DateTime int64 // epoch milliseconds
	Extra    string
}

// Kind is the type of an event.
type Kind uint8

const (
	KindPerson Kind = iota
	KindAuction
	KindBid
)

// Event is one generated event; the field of its Kind is set.
type Event struct {
	Kind    Kind
	Person  Person
	Auction Auction
	Bid     Bid
}

// Events holds generated events by kind, each slice in event order.
type Events struct {
	Persons  []Person
	Auctions []Auction
	Bids     []Bid
}

// Generator yields the events of a Config in order.
type Generator struct {
	cfg        Config
	next       int64 // number of the next event
	end        int64
	startMs    int64
	hotURLs    []string
	usPerEvent float64 // microseconds of event time between two events
}

// New returns a generator of cfg's events.
func New(cfg Config) *Generator {
	cfg = cfg.withDefaults()
	g := &Generator{
		cfg:        cfg,
		next:       cfg.FirstEvent,
		end:        cfg.FirstEvent + cfg.Events,
		startMs:    cfg.Start.UnixMilli(),
		usPerEvent: 1e6 / cfg.Rate,
	}
	// The hot channels' URLs are fixed for a seed, as the reference fixes
	// them once per generator.
	r := rand.New(rand.NewPCG(cfg.Seed, math.MaxUint64))
	for range hotChannels {
		g.hotURLs = append(g.hotURLs, baseURL(r))
	}
	return g
}

// Generate returns all of cfg's events.
func Generate(cfg Config) Events {
	var ev Events
	g := New(cfg)
	for {
		e, ok := g.Next()
		if !ok {
			return ev
		}
		switch e.Kind {
		case KindPerson:
			ev.Persons = append(ev.Persons, e.Person)
		case KindAuction:
			ev.Auctions = append(ev.Auctions, e.Auction)
		default:
			ev.Bids = append(ev.Bids, e.Bid)
		}
	}
}

// TimestampFor is the event time (epoch ms) of event number n.
func (g *Generator) TimestampFor(n int64) int64 {
	return g.startMs + int64(float64(n)*g.usPerEvent/1000)
}

// Next returns the next event, false after the last.
func (g *Generator) Next() (Event, bool) {
	if g.next >= g.end {
		return Event{}, false
	}
	id := g.next
	g.next++
	r := rand.New(rand.NewPCG(g.cfg.Seed, uint64(id)))
	ts := g.TimestampFor(id)
	switch off := id % TotalProportion; {
	case off < PersonProportion:
		return Event{Kind: KindPerson, Person: g.person(id, r, ts)}, true
	case off < PersonProportion+AuctionProportion:
		return Event{Kind: KindAuction, Auction: g.auction(id, r, ts)}, true
	default:
		return Event{Kind: KindBid, Bid: g.bid(id, r, ts)}, true
	}
}

// lastBase0PersonID is the id (from 0) of the last person generated at or
// before event id.
func lastBase0PersonID(id int64) int64 {
	epoch, off := id/TotalProportion, id%TotalProportion
	if off >= PersonProportion {
		off = PersonProportion - 1
	}
	return epoch*PersonProportion + off
}

// lastBase0AuctionID is the id (from 0) of the last auction generated at or
// before event id.
func lastBase0AuctionID(id int64) int64 {
	epoch, off := id/TotalProportion, id%TotalProportion
	switch {
	case off < PersonProportion:
		epoch--
		off = AuctionProportion - 1
	case off >= PersonProportion+AuctionProportion:
		off = AuctionProportion - 1
	default:
		off -= PersonProportion
	}
	return epoch*AuctionProportion + off
}

// nextBase0PersonID picks one of the active people, or one a few ids ahead.
func nextBase0PersonID(id int64, r *rand.Rand) int64 {
	people := lastBase0PersonID(id) + 1
	active := min(people, numActivePeople)
	return people - active + r.Int64N(active+personIDLead)
}

// nextBase0AuctionID picks an auction likely still in flight, or one a few
// ids ahead.
func nextBase0AuctionID(id int64, r *rand.Rand) int64 {
	maxA := lastBase0AuctionID(id)
	minA := max(maxA-numInFlightAuctions, 0)
	return minA + r.Int64N(maxA-minA+1+auctionIDLead)
}

func (g *Generator) person(id int64, r *rand.Rand, ts int64) Person {
	p := Person{
		ID:           lastBase0PersonID(id) + FirstPersonID,
		Name:         firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))],
		EmailAddress: nextString(r, 7) + "@" + nextString(r, 5) + ".com",
		CreditCard:   creditCard(r),
		City:         usCities[r.IntN(len(usCities))],
		State:        usStates[r.IntN(len(usStates))],
		DateTime:     ts,
	}
	size := 8 + len(p.Name) + len(p.EmailAddress) + len(p.CreditCard) + len(p.City) + len(p.State)
	p.Extra = nextExtra(r, size, avgPersonBytes)
	return p
}

func (g *Generator) auction(id int64, r *rand.Rand, ts int64) Auction {
	a := Auction{ID: lastBase0AuctionID(id) + FirstAuctionID, DateTime: ts}
	if r.IntN(hotSellersRatio) > 0 {
		a.Seller = lastBase0PersonID(id) / hotBatch * hotBatch
	} else {
		a.Seller = nextBase0PersonID(id, r)
	}
	a.Seller += FirstPersonID
	a.Category = FirstCategoryID + int64(r.IntN(NumCategories))
	a.InitialBid = nextPrice(r)
	// An auction lasts on average as long as it takes to generate the next
	// numInFlightAuctions auctions.
	ahead := int64(numInFlightAuctions * TotalProportion / AuctionProportion)
	horizon := g.TimestampFor(id+ahead) - ts
	a.Expires = ts + 1 + r.Int64N(max(horizon*2, 1))
	a.ItemName = nextString(r, 20)
	a.Description = nextString(r, 100)
	a.Reserve = a.InitialBid + nextPrice(r)
	size := 8 + len(a.ItemName) + len(a.Description) + 8 + 8 + 8 + 8 + 8
	a.Extra = nextExtra(r, size, avgAuctionBytes)
	return a
}

func (g *Generator) bid(id int64, r *rand.Rand, ts int64) Bid {
	b := Bid{DateTime: ts}
	if r.IntN(hotAuctionRatio) > 0 {
		b.Auction = lastBase0AuctionID(id) / hotBatch * hotBatch
	} else {
		b.Auction = nextBase0AuctionID(id, r)
	}
	b.Auction += FirstAuctionID
	if r.IntN(hotBiddersRatio) > 0 {
		// The second person of the batch, so hot bidders and hot sellers differ.
		b.Bidder = lastBase0PersonID(id)/hotBatch*hotBatch + 1
	} else {
		b.Bidder = nextBase0PersonID(id, r)
	}
	b.Bidder += FirstPersonID
	b.Price = nextPrice(r)
	if r.IntN(hotChannelsRatio) > 0 {
		i := r.IntN(len(hotChannels))
		b.Channel, b.URL = hotChannels[i], g.hotURLs[i]
	} else {
		n := r.IntN(numChannels)
		b.Channel = "channel-" + strconv.Itoa(n)
		b.URL = baseURL(r) + "&channel_id=" + strconv.Itoa(int(int32(bits.Reverse32(uint32(n)))))
	}
	b.Extra = nextExtra(r, 8+8+8+8, avgBidBytes)
	return b
}

// nextPrice is a price in cents, 10^U(0,6) dollars.
func nextPrice(r *rand.Rand) int64 {
	return int64(math.Round(math.Pow(10, r.Float64()*6) * 100))
}

func creditCard(r *rand.Rand) string {
	var sb strings.Builder
	for i := range 4 {
		if i > 0 {
			sb.WriteByte(' ')
		}
		n := r.IntN(10000)
		sb.WriteString(strconv.Itoa(n/1000) + strconv.Itoa(n/100%10) + strconv.Itoa(n/10%10) + strconv.Itoa(n%10))
	}
	return sb.String()
}

func baseURL(r *rand.Rand) string {
	return "https://www.nexmark.com/" + nextString(r, 5) + "/" + nextString(r, 5) + "/" + nextString(r, 5) + "/item.htm?query=1"
}

// nextString is a string of 3 to maxLen-1 lower-case letters and spaces,
// trimmed.
func nextString(r *rand.Rand, maxLen int) string {
	n := 3 + r.IntN(maxLen-3)
	b := make([]byte, n)
	for i := range b {
		if r.IntN(13) == 0 {
			b[i] = ' '
		} else {
			b[i] = byte('a' + r.IntN(26))
		}
	}
	return strings.TrimSpace(string(b))
}

// nextExtra pads an event whose other fields take size bytes to avg bytes
// on average (±20 %).
func nextExtra(r *rand.Rand, size, avg int) string {
	if size > avg {
		return ""
	}
	avg -= size
	delta := int(math.Round(float64(avg) * 0.2))
	n := avg - delta
	if delta > 0 {
		n += r.IntN(2 * delta)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}
