//go:build tools

// Package tools pins the Kubernetes commands the test harness builds (kube-apiserver and
// kubectl v1.32.13). k8s.io/kubernetes cannot be `go install`ed directly: its go.mod
// points its staging modules at its own tree, so this wrapper module maps them to their
// published versions instead (see go.mod).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
