package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/kds-io/kds/adapters/embedded"
)

// devSASL makes kds dev's embedded broker require SASL when --kafka-sasl
// or kafka.sasl.mechanism names a mechanism: the broker accepts the
// configured user (default "kds") and every kds client authenticates as
// it. Without a configured password it makes one up, kept in the state
// directory, which kds dev prints as it prints its admin token.
func devSASL(cfg *Config, flagMechanism string, state *devState) (users []embedded.SASLUser, madeUp bool, err error) {
	s := &cfg.Kafka.SASL
	if flagMechanism != "" {
		s.Mechanism = flagMechanism
	}
	if s.Mechanism == "" {
		return nil, false, nil
	}
	if s.Username == "" {
		s.Username = "kds"
	}
	if s.Password == "" {
		s.Password, err = state.secret(devStateSASLPassword, "the Kafka SASL password", func() (string, error) {
			b := make([]byte, 18)
			if _, err := rand.Read(b); err != nil {
				return "", err
			}
			return base64.RawURLEncoding.EncodeToString(b), nil
		})
		if err != nil {
			return nil, false, err
		}
		madeUp = true
	}
	if err := cfg.kafka().Validate(); err != nil {
		return nil, false, err
	}
	k := cfg.kafka().SASL
	return []embedded.SASLUser{{Mechanism: k.Mechanism, Username: k.Username, Password: k.Password}}, madeUp, nil
}

// devACLs turns kafka.manage_acls on for --kafka-sasl, and says whether
// the embedded broker enforces ACLs: whenever kds manages them, which
// needs SASL users to tell clients apart.
func devACLs(cfg *Config, flagSASL bool) (bool, error) {
	if flagSASL {
		cfg.Kafka.ManageACLs = true
	}
	if cfg.Kafka.ManageACLs && cfg.Kafka.SASL.Mechanism == "" {
		return false, errors.New("kafka.manage_acls in kds dev needs SASL, to tell clients apart: add --kafka-sasl SCRAM-SHA-512")
	}
	return cfg.Kafka.ManageACLs, nil
}

// printDevSASL tells how clients authenticate to kds dev's broker; the
// password only when kds dev made it up, since whoever configured it knows it.
func printDevSASL(out io.Writer, cfg Config, madeUp bool) {
	s := cfg.Kafka.SASL
	if s.Mechanism == "" {
		return
	}
	if cfg.Kafka.ManageACLs {
		fmt.Fprintf(out, "Kafka enforces the ACLs kds keeps: kds send, produce and consume log in with their token's own credentials (GET /api/v1/kafka/credentials).\n")
		if madeUp {
			fmt.Fprintf(out, "  kds's own Kafka user, which may do anything (not for clients): %s %s, password %s\n", s.Mechanism, s.Username, s.Password)
		}
		return
	}
	if madeUp {
		fmt.Fprintf(out, "  export KDS_KAFKA_SASL_MECHANISM=%s KDS_KAFKA_SASL_USERNAME=%s KDS_KAFKA_SASL_PASSWORD=%s\n", s.Mechanism, s.Username, s.Password)
		return
	}
	fmt.Fprintf(out, "  export KDS_KAFKA_SASL_MECHANISM=%s KDS_KAFKA_SASL_USERNAME=%s  # and KDS_KAFKA_SASL_PASSWORD, as configured\n", s.Mechanism, s.Username)
}
