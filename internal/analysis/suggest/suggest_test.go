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

func TestUnique(t *testing.T) {
	for _, tc := range []struct {
		word  string
		cands []string
		want  string
	}{
		{"defualt", []string{"default", "kube-system"}, "default"},
		{"monitoirng", []string{"monitoring", "monitoring"}, "monitoring"}, // the same name twice is one candidate
		{"node-3", []string{"node-1", "node-2"}, ""},                       // a series
		{"apps-b", []string{"apps-a", "apps-c"}, ""},                       // two as close
		{"media", []string{"kube-system"}, ""},                             // nothing close
		{"default", []string{"default"}, ""},                               // the word itself
	} {
		if got := Unique(tc.word, tc.cands); got != tc.want {
			t.Errorf("Unique(%q, %q) = %q, want %q", tc.word, tc.cands, got, tc.want)
		}
	}
}
