//go:build tools

// Package argocd is a wrapper module whose only job is to pin Argo CD and its dependencies
// for scripts/argocd.sh, which builds the multi-call binary with
// `go build github.com/argoproj/argo-cd/v3/cmd` from this directory, and kustomize (the
// repo-server runs `kustomize build`; Argo CD's images bundle it) with
// `go build sigs.k8s.io/kustomize/kustomize/v5`, at the version whose kustomize/api Argo CD
// itself requires. The imports below keep both required under `go mod tidy`; the build tag
// keeps this file out of every real build.
package argocd

import (
	_ "github.com/argoproj/argo-cd/v3/cmd"
	_ "sigs.k8s.io/kustomize/kustomize/v5"
)
