// Package deploy holds no code: its tests check the deployment files beside them (the
// Prometheus rules and their unit tests, the Grafana dashboard, the compose file) with the
// real promtool, so a broken query, a misspelt metric or a missing mount fails the build.
package deploy
