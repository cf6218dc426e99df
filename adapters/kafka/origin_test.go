package kafka_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/adapters/kafka"
)

func secret(fill byte, n int) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(fill), n)))
}

func TestParseMessageKeysNamesEveryProblemWithoutTheSecret(t *testing.T) {
	t.Parallel()
	good := secret('a', 32)
	keys, err := kafka.ParseMessageKeys([]string{"2025-06:" + good, "old.1:" + secret('b', 48)})
	if err != nil || len(keys) != 2 || keys[0].ID != "2025-06" || len(keys[0].Secret) != 32 || keys[1].ID != "old.1" || len(keys[1].Secret) != 48 {
		t.Fatalf("ParseMessageKeys = %+v, %v", keys, err)
	}
	short := secret('c', 31)
	_, err = kafka.ParseMessageKeys([]string{good, "a b:" + good, "short:" + short, "bad:not*base64", "twice:" + good, "twice:" + good})
	if err == nil {
		t.Fatal("bad keys accepted")
	}
	for _, want := range []string{
		"entry 1: want ID:SECRET", "entry 2: want ID:SECRET", `entry 3 (id "short"): the secret has 31 bytes, want at least 32`,
		`entry 4 (id "bad"): the secret is not standard base64`, `entry 6 (id "twice"): the id is used twice`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	for _, s := range []string{good, short, "not*base64"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("the error shows a secret %q:\n%v", s, err)
		}
	}
}

// newSigner signs with the first of entries, "ID:BASE64" each.
func newSigner(t *testing.T, entries ...string) *kafka.Signer {
	t.Helper()
	keys, err := kafka.ParseMessageKeys(entries)
	if err != nil {
		t.Fatal(err)
	}
	s, err := kafka.NewSigner(keys, "partition_key")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signed is a message for topic with record key key, signed by s.
func signed(s *kafka.Signer, topic, key, payload string) *message.Message {
	m := message.NewMessage("id", []byte(payload))
	m.Metadata.Set("partition_key", key)
	s.Sign(topic, m)
	return m
}

func TestSignatureCoversTopicKeyAndValue(t *testing.T) {
	t.Parallel()
	s := newSigner(t, "k1:"+secret('a', 32))
	const payload = `{"type":"DeactivateTopic","topic":"orders"}`
	sig := signed(s, "kds.commands", "orders", payload).Metadata.Get(kafka.SignatureHeader)
	if !strings.HasPrefix(sig, "k1:") {
		t.Fatalf("signature %q, want it to name key k1", sig)
	}
	if err := s.Check("kds.commands", "orders", []byte(payload), sig); err != nil {
		t.Fatalf("kds's own signature: %v", err)
	}
	forged := signed(newSigner(t, "k1:"+secret('z', 32)), "kds.commands", "orders", payload).Metadata.Get(kafka.SignatureHeader)
	tests := []struct {
		name                string
		topic, key, payload string
		signature           string
		want                string
	}{
		{"another topic", "kds.events", "orders", payload, sig, "does not match"},
		{"another key", "kds.commands", "order", payload, sig, "does not match"},
		{"a key's byte moved to the value", "kds.commands", "order", "s" + payload, sig, "does not match"},
		{"another value", "kds.commands", "orders", strings.Replace(payload, "orders", "billing", 1), sig, "does not match"},
		{"no signature", "kds.commands", "orders", payload, "", "no kds-signature header"},
		{"no key id", "kds.commands", "orders", payload, strings.TrimPrefix(sig, "k1:"), "malformed kds-signature header"},
		{"not base64", "kds.commands", "orders", payload, "k1:***", "malformed kds-signature header"},
		{"an unknown key", "kds.commands", "orders", payload, "k9:" + strings.TrimPrefix(sig, "k1:"), `signed with key "k9", which is not in security.message_keys`},
		{"another secret under the same id", "kds.commands", "orders", payload, forged, "does not match"},
	}
	for _, tt := range tests {
		err := s.Check(tt.topic, tt.key, []byte(tt.payload), tt.signature)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestRotatedKeysStillVerify: the new key signs, the old one still
// verifies what it signed, and once it is removed its signatures fail.
func TestRotatedKeysStillVerify(t *testing.T) {
	t.Parallel()
	oldKey, newKey := "old:"+secret('o', 32), "new:"+secret('n', 32)
	before, during, after := newSigner(t, oldKey), newSigner(t, newKey, oldKey), newSigner(t, newKey)
	byOld := signed(before, "kds.events", "t", "v").Metadata.Get(kafka.SignatureHeader)
	byNew := signed(during, "kds.events", "t", "v").Metadata.Get(kafka.SignatureHeader)
	if !strings.HasPrefix(byNew, "new:") {
		t.Fatalf("during the rotation kds signs with %q, want the new key", byNew)
	}
	if err := during.Check("kds.events", "t", []byte("v"), byOld); err != nil {
		t.Errorf("during the rotation, the old key's signature: %v", err)
	}
	if err := after.Check("kds.events", "t", []byte("v"), byNew); err != nil {
		t.Errorf("after the rotation, the new key's signature: %v", err)
	}
	if err := after.Check("kds.events", "t", []byte("v"), byOld); err == nil {
		t.Error("after the rotation, the removed key's signature still verifies")
	}
	if _, err := kafka.NewSigner(nil, "partition_key"); err == nil {
		t.Error("a signer without keys")
	}
}
