//go:build tools

// Package k8stools pins the Kubernetes commands the control-plane tests run
// (scripts/k8s-control-plane.sh build). Never compiled into anything: the
// blank imports only make `go mod tidy` keep these programs' dependencies.
package k8stools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
