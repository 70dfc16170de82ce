package suggest

import "testing"

func TestDidYouMean(t *testing.T) {
	ids := []string{"secret/placeholder", "secret/unencrypted", "tag/not-found"}
	for word, want := range map[string]string{
		"secret/placeholdr": ` (did you mean "secret/placeholder"?)`,
		"SECRET/UNENCRYPTD": ` (did you mean "secret/unencrypted"?)`,
		"flux/suspended":    "",
	} {
		if got := DidYouMean(word, ids); got != want {
			t.Errorf("%s: %q, want %q", word, got, want)
		}
	}
	if d := Distance("kitten", "sitting"); d != 3 {
		t.Errorf("Distance = %d", d)
	}
}
