// Package deploy holds no code: its tests check the deployment files beside them. The
// Prometheus rules, their unit tests, the Grafana dashboard and the compose file are checked
// with the real promtool; the Kubernetes manifests are decoded strictly into the API types
// they are written for and checked against each other.
package deploy
