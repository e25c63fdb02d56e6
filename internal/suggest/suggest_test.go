package suggest

import "testing"

func TestClosest(t *testing.T) {
	tests := []struct {
		given      string
		candidates []string
		want       string
	}{
		{"amout", []string{"id", "amount", "country"}, "amount"},          // one dropped letter
		{"admin_ulr", []string{"admin_url", "memory_limit"}, "admin_url"}, // a transposition is two edits
		{"cuntry", []string{"country", "county"}, "country"},              // both one edit away: the first by name
		{"xyz", []string{"amount", "id"}, ""},                             // nothing close
		{"abcde", []string{"vwxde"}, ""},                                  // three edits is too far
		{"idd", nil, ""},
		{"ïd", []string{"id"}, "id"}, // runes, not bytes
	}
	for _, tt := range tests {
		if got := Closest(tt.given, tt.candidates); got != tt.want {
			t.Errorf("Closest(%q, %q) = %q, want %q", tt.given, tt.candidates, got, tt.want)
		}
	}
	if got := Hint("amout", []string{"amount"}); got != ` Did you mean "amount"?` {
		t.Errorf("Hint = %q", got)
	}
}
