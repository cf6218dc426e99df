package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/kds-io/kds/adapters/kafka"
)

// kafkaSecurityFromEnv reads the Kafka TLS and SASL settings of the
// content commands (send, produce, consume) and of kds doctor on a client
// machine from the environment, under the names kds serve reads them:
// KDS_KAFKA_TLS_ENABLED, _CA_FILE, _CERT_FILE, _KEY_FILE,
// _INSECURE_SKIP_VERIFY and KDS_KAFKA_SASL_MECHANISM, _USERNAME, _PASSWORD.
func kafkaSecurityFromEnv() (kafka.TLSConfig, kafka.SASLConfig, error) {
	var (
		t   kafka.TLSConfig
		err error
	)
	if t.Enabled, err = envBool("KDS_KAFKA_TLS_ENABLED"); err != nil {
		return kafka.TLSConfig{}, kafka.SASLConfig{}, err
	}
	if t.InsecureSkipVerify, err = envBool("KDS_KAFKA_TLS_INSECURE_SKIP_VERIFY"); err != nil {
		return kafka.TLSConfig{}, kafka.SASLConfig{}, err
	}
	t.CAFile = os.Getenv("KDS_KAFKA_TLS_CA_FILE")
	t.CertFile = os.Getenv("KDS_KAFKA_TLS_CERT_FILE")
	t.KeyFile = os.Getenv("KDS_KAFKA_TLS_KEY_FILE")
	s := kafka.SASLConfig{
		Mechanism: os.Getenv("KDS_KAFKA_SASL_MECHANISM"),
		Username:  os.Getenv("KDS_KAFKA_SASL_USERNAME"),
		Password:  os.Getenv("KDS_KAFKA_SASL_PASSWORD"),
	}
	return t, s, nil
}

// envBool reads a boolean environment variable; unset or empty is false.
func envBool(name string) (bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", name, v)
	}
	return b, nil
}
