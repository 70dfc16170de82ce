package layout

import "testing"

func TestRewriteEnv(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"path: ./applications/overlays/dev-cluster/services/x", "path: ./applications/overlays/staging-cluster/services/x"},
		{"dev-cluster dev-cluster", "staging-cluster staging-cluster"},
		{"mydev-cluster dev-clusters dev-cluster_x", "mydev-cluster dev-clusters dev-cluster_x"},
		{"dev-cluster", "staging-cluster"},
		{"nothing here", "nothing here"},
	} {
		if got := RewriteEnv(tc.in, "dev-cluster", "staging-cluster"); got != tc.want {
			t.Errorf("RewriteEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
