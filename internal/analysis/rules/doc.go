// Package rules holds the checks that report the rules of package catalog.
// A check reads the model and reports plain diagnostics.
//
// Layout: one check per file (kustomize.go, fluxobjects.go, pulls.go,
// notapplied.go, dependson.go, decryption.go, namespaces.go, unused.go,
// tags.go, values.go, secrets.go, promotion.go, baseonly.go, and render.go
// with what it reports: buildfail.go, schemacheck.go, patchmatch.go,
// duplicate.go); check.go runs them (Check, Pass, Order, Run) and
// context.go lists them (Checks); render_jobs.go schedules the builds;
// rootcause.go holds the helpers that keep one root cause from being
// reported twice; sourcemap.go maps a rendered field back to the line that
// wrote it (SourceMap); labels.go names pulls and objects for messages.
package rules
