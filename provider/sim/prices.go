package sim

import (
	"encoding/binary"
	"hash/fnv"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// baseCost is the simulated cost of a number per service in a country of
// factor 1000. Invented figures, in the range public price lists show
// (a few cents to about a dollar), so the simulation feels like a market.
var baseCost = map[string]provider.Micros{
	"telegram": 420_000, "whatsapp": 380_000, "google": 120_000, "facebook": 90_000,
	"instagram": 110_000, "tiktok": 95_000, "discord": 70_000, "uber": 60_000,
	"amazon": 85_000, "microsoft": 75_000, "twitter": 80_000, "viber": 55_000,
	"wechat": 260_000, "line": 140_000, "snapchat": 65_000, "signal": 150_000,
	"apple": 130_000, "paypal": 160_000, "netflix": 50_000, "tinder": 180_000,
	"yahoo": 45_000, "openai": 200_000,
}

// countryFactor scales baseCost per country, in permille (invented: rich
// markets cost more, large markets less).
var countryFactor = map[string]int64{
	"us": 1600, "ca": 1400, "gb": 1500, "de": 1450, "fr": 1350, "nl": 1300,
	"pl": 900, "es": 1100, "it": 1150, "ru": 700, "ua": 500, "kz": 450,
	"tr": 600, "in": 350, "id": 300, "ph": 380, "vn": 320, "th": 420,
	"br": 550, "mx": 600,
}

// Market drift: prices and stock change every driftPeriod, by up to
// ±driftPermille, and a pair is sold out for a period with probability
// soldOutPercent. Invented to exercise failover and price changes.
const (
	driftPeriod    = 10 * time.Minute
	driftPermille  = 200
	soldOutPercent = 5
	maxStock       = 2000
)

// market is the cost and stock of a pair at time now, deterministic from
// the seed and the drift period now falls in.
func market(seed int64, service, country string, now time.Time) (provider.Micros, int) {
	h := mix(seed, service, country, now.Unix()/int64(driftPeriod/time.Second))
	drift := int64(h%(2*driftPermille+1)) - driftPermille // -200..+200
	cost := int64(baseCost[service]) * countryFactor[country] / 1000 * (1000 + drift) / 1000
	cost = (cost + 999) / 1000 * 1000 // whole tenths of a cent, like upstream lists
	stock := int((h >> 16) % maxStock)
	if (h>>40)%100 < soldOutPercent {
		stock = 0
	}
	return provider.Micros(cost), stock
}

func mix(seed int64, service, country string, bucket int64) uint64 {
	f := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(seed))
	binary.LittleEndian.PutUint64(b[8:], uint64(bucket))
	f.Write(b[:])
	f.Write([]byte(service))
	f.Write([]byte{0})
	f.Write([]byte(country))
	x := f.Sum64()
	// splitmix64 finaliser: spread the bits
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
