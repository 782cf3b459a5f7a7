package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestConfigTokenKey(t *testing.T) {
	hexKey := strings.Repeat("cd", 32)
	t.Run("production needs it", func(t *testing.T) {
		_, err := loadConfig(without(prodEnv(), "GATEWAY_TOKEN_KEY"))
		if err == nil || !strings.Contains(err.Error(), "GATEWAY_TOKEN_KEY") {
			t.Fatalf("err = %v, want one naming GATEWAY_TOKEN_KEY", err)
		}
	})
	t.Run("development does without", func(t *testing.T) {
		cfg, err := loadConfig(nil)
		if err != nil || cfg.tokenKeys != nil {
			t.Fatalf("loadConfig(nil) = %v, keys %v; want no keys and no error", err, cfg.tokenKeys)
		}
	})
	for _, bad := range []string{"k1:" + hexKey[:40], "k 1:" + hexKey, "k1:" + hexKey + ",k1:" + hexKey, "k1:zz" + hexKey[2:]} {
		t.Run("invalid "+bad[:4], func(t *testing.T) {
			_, err := loadConfig(prodEnv("GATEWAY_TOKEN_KEY=" + bad))
			if err == nil || !strings.Contains(err.Error(), "GATEWAY_TOKEN_KEY") {
				t.Fatalf("err = %v, want one naming GATEWAY_TOKEN_KEY", err)
			}
			if strings.Contains(err.Error(), hexKey[4:40]) {
				t.Fatal("the error shows the key")
			}
		})
	}
	t.Run("rotation and masking", func(t *testing.T) {
		cfg, err := loadConfig(prodEnv("GATEWAY_TOKEN_KEY=k2:" + hexKey + ",k1:" + strings.Repeat("ab", 32)))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.tokenKeys.KeyID() != "k2" {
			t.Fatalf("encrypting key = %s, want the first, k2", cfg.tokenKeys.KeyID())
		}
		logged, _ := json.Marshal(cfg.logFields())
		if strings.Contains(string(logged), hexKey) || strings.Contains(string(logged), strings.Repeat("ab", 32)) ||
			!strings.Contains(string(logged), "k2") {
			t.Fatalf("logged config %s shows a key, or not which one encrypts", logged)
		}
	})
}
