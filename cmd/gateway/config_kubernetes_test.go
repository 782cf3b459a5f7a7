package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// kubernetesEnviron resolves the environment the Deployment in deploy/kubernetes gives the
// gateway container from its ConfigMap and Secret; secret replaces the Secret's values.
func kubernetesEnviron(t *testing.T, secret map[string]string) []string {
	t.Helper()
	read := func(file string, v any) {
		data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "kubernetes", file))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	var d appsv1.Deployment
	var cm corev1.ConfigMap
	var s corev1.Secret
	read("deployment.yaml", &d)
	read("configmap.yaml", &cm)
	read("secret.yaml", &s)
	var environ []string
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil:
			environ = append(environ, e.Name+"="+cm.Data[e.ValueFrom.ConfigMapKeyRef.Key])
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			key := e.ValueFrom.SecretKeyRef.Key
			v, ok := secret[key]
			if !ok {
				v = s.StringData[key]
			}
			environ = append(environ, e.Name+"="+v)
		default:
			environ = append(environ, e.Name+"="+e.Value)
		}
	}
	return environ
}

// TestKubernetesConfiguration runs the manifests' configuration through the gateway's own
// validation: with the Secret filled in it is a valid production configuration; with the
// committed placeholders it does not start.
func TestKubernetesConfiguration(t *testing.T) {
	filled := map[string]string{
		"DATABASE_URL":                        "postgres://gateway:pw@postgres.example.internal:5432/gateway?sslmode=require",
		"GATEWAY_API_KEYS":                    "sk_live_0123456789abcdef0123456789abcdef",
		"PLACETOPAY_LOGIN":                    "login-0001",
		"PLACETOPAY_SECRET_KEY":               "ptp-secret-0001",
		"PLACETOPAY_AUTOPAY_WEBHOOK_USER":     "placetopay",
		"PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD": strings.Repeat("p", 24),
		"MERCHANT_WEBHOOK_SECRET":             strings.Repeat("w", 24),
		"GATEWAY_TOKEN_KEY":                   "k1:" + strings.Repeat("ab", 32),
	}
	cfg, err := loadConfig(kubernetesEnviron(t, filled))
	if err != nil {
		t.Fatalf("the manifests with the Secret filled in: %v", err)
	}
	if !cfg.production() || cfg.sandboxMode() {
		t.Errorf("env %q, sandbox mode %v: want production against PlacetoPay", cfg.Env, cfg.sandboxMode())
	}
	if cfg.AutopayURL == "" || cfg.MerchantWebhookURL == "" {
		t.Error("autopay or merchant webhooks are not configured")
	}

	if _, err := loadConfig(kubernetesEnviron(t, nil)); err == nil {
		t.Error("the committed placeholder Secret gives a configuration that starts; its values must not")
	}
}
