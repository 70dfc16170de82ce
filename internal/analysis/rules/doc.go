// Package rules holds the checks that report the rules of package catalog.
// A check reads the model and reports plain diagnostics.
//
// Layout: one check per file (fluxobjects.go, pulls.go, notapplied.go,
// dependson.go, decryption.go, kustomize.go, unused.go, tags.go, values.go,
// secrets.go, promotion.go, render.go and what it reports: buildfail.go,
// schemacheck.go, patchmatch.go, duplicate.go); render_jobs.go schedules
// the builds; rootcause.go holds the helpers that keep one root cause from
// being reported twice; sourcemap.go maps a rendered field back to the line
// that wrote it.
package rules
