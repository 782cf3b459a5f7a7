// Package deploy holds the deployment files: compose, the Kubernetes manifests, Prometheus
// and Grafana configuration. It has no code; its tests check the files against the API types
// they are written for and against each other.
package deploy
