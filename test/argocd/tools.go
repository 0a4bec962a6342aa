//go:build tools

// Package argocd is a wrapper module whose only job is to pin Argo CD and its dependencies
// for scripts/argocd.sh, which builds the multi-call binary with
// `go build github.com/argoproj/argo-cd/v3/cmd` from this directory. The import below keeps
// argo-cd required under `go mod tidy`; the build tag keeps this file out of every real build.
package argocd

import _ "github.com/argoproj/argo-cd/v3/cmd"
