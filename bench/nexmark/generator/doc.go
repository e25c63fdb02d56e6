// Package generator produces Nexmark events (persons, auctions and bids)
// deterministically, following the model of the reference generator of the
// nexmark/nexmark repository: events come in epochs of 50 (1 person, 3
// auctions, 46 bids), ids and prices are distributed as there (hot sellers,
// bidders and auctions, five categories, six US states, ten cities, prices
// 10^U(0,6) cents), `extra` pads each event to the reference average sizes,
// and event time advances at a configurable rate.
//
// The same Config (seed included) always gives the same events, byte for
// byte once encoded: each event draws from its own random stream, seeded by
// the seed and the event's number.
package generator
