package generator

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// TimeLayout is how events write timestamps: RFC 3339, UTC, milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// FormatTime writes epoch milliseconds as an RFC 3339 UTC timestamp with
// milliseconds.
func FormatTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(TimeLayout)
}

// AppendPerson appends p as one JSON object with the Nexmark DDL's field
// names.
func AppendPerson(b []byte, p *Person) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, p.ID, 10)
	b = appendStr(b, "name", p.Name)
	b = appendStr(b, "emailAddress", p.EmailAddress)
	b = appendStr(b, "creditCard", p.CreditCard)
	b = appendStr(b, "city", p.City)
	b = appendStr(b, "state", p.State)
	b = appendStr(b, "dateTime", FormatTime(p.DateTime))
	b = appendStr(b, "extra", p.Extra)
	return append(b, '}')
}

// AppendAuction appends a as one JSON object with the Nexmark DDL's field
// names.
func AppendAuction(b []byte, a *Auction) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = appendStr(b, "itemName", a.ItemName)
	b = appendStr(b, "description", a.Description)
	b = appendInt(b, "initialBid", a.InitialBid)
	b = appendInt(b, "reserve", a.Reserve)
	b = appendStr(b, "dateTime", FormatTime(a.DateTime))
	b = appendStr(b, "expires", FormatTime(a.Expires))
	b = appendInt(b, "seller", a.Seller)
	b = appendInt(b, "category", a.Category)
	b = appendStr(b, "extra", a.Extra)
	return append(b, '}')
}

// AppendBid appends x as one JSON object with the Nexmark DDL's field names.
func AppendBid(b []byte, x *Bid) []byte {
	b = append(b, `{"auction":`...)
	b = strconv.AppendInt(b, x.Auction, 10)
	b = appendInt(b, "bidder", x.Bidder)
	b = appendInt(b, "price", x.Price)
	b = appendStr(b, "channel", x.Channel)
	b = appendStr(b, "url", x.URL)
	b = appendStr(b, "dateTime", FormatTime(x.DateTime))
	b = appendStr(b, "extra", x.Extra)
	return append(b, '}')
}

func appendInt(b []byte, name string, v int64) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}

func appendStr(b []byte, name, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return AppendJSONString(b, v)
}

// AppendJSONString appends s as a JSON string. Generated strings are
// letters, digits, spaces and URL punctuation; anything else is escaped.
func AppendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
		}
	}
	return append(b, '"')
}
