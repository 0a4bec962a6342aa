//go:build tools

// Package testenv is a wrapper module whose only job is to pin kube-apiserver and its
// dependencies for scripts/testenv.sh, which builds it with
// `go build k8s.io/kubernetes/cmd/kube-apiserver` from this directory. The import below
// keeps k8s.io/kubernetes required under `go mod tidy`; the build tag keeps this file out
// of every real build.
package testenv

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
