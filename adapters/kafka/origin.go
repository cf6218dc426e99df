package kafka

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
)

// SignatureHeader is the record header that carries kds's proof that it
// wrote a message on kds.commands or kds.events: "KEY_ID:MAC", the MAC
// being HMAC-SHA256 over the topic, the record key and the value, in
// unpadded URL-safe base64.
const SignatureHeader = "kds-signature"

// signatureContext separates kds's MACs from any other use of the keys,
// and this layout from a future one.
const signatureContext = "kds message v1"

// MinMessageKeyBytes is the shortest secret a message key may have.
const MinMessageKeyBytes = 32

var messageKeyID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// MessageKey is a secret that kds services share to sign their messages.
type MessageKey struct {
	ID     string
	Secret []byte
}

// String names the key without its secret, so that a key printed or
// logged by mistake does not show it.
func (k MessageKey) String() string { return fmt.Sprintf("{message key %q}", k.ID) }

// GoString is String, for %#v.
func (k MessageKey) GoString() string { return k.String() }

// ParseMessageKeys reads security.message_keys: entries "ID:SECRET", the
// secret in standard base64 (`openssl rand -base64 32`). Problems name the
// entry by position and id, never by its secret.
func ParseMessageKeys(entries []string) ([]MessageKey, error) {
	var (
		keys []MessageKey
		errs []error
		seen = map[string]bool{}
	)
	for i, e := range entries {
		id, secret, ok := strings.Cut(e, ":")
		where := fmt.Sprintf("security.message_keys entry %d", i+1)
		if !ok || !messageKeyID.MatchString(id) {
			errs = append(errs, fmt.Errorf("%s: want ID:SECRET, the id of 1 to 64 letters, digits, '.', '_' or '-'", where))
			continue
		}
		where += fmt.Sprintf(" (id %q)", id)
		b, err := base64.StdEncoding.DecodeString(secret)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: the secret is not standard base64", where))
		case len(b) < MinMessageKeyBytes:
			errs = append(errs, fmt.Errorf("%s: the secret has %d bytes, want at least %d (openssl rand -base64 %d)", where, len(b), MinMessageKeyBytes, MinMessageKeyBytes))
		case seen[id]:
			errs = append(errs, fmt.Errorf("%s: the id is used twice", where))
		default:
			keys = append(keys, MessageKey{ID: id, Secret: b})
		}
		seen[id] = true
	}
	return keys, errors.Join(errs...)
}

// Signer signs the messages kds publishes on its internal topics and checks
// the signature of those it reads, so that nobody who can merely write to
// Kafka can act as an admin or as the topic manager. The first key signs;
// every key verifies, so that keys can be rotated without a stop.
type Signer struct {
	signing MessageKey
	keys    map[string][]byte
	// keyMetadata is the metadata field that becomes the record key.
	keyMetadata string
}

// String names the signing key, without any secret.
func (s *Signer) String() string {
	return fmt.Sprintf("{signer with key %q and %d in all}", s.signing.ID, len(s.keys))
}

// GoString is String, for %#v.
func (s *Signer) GoString() string { return s.String() }

// NewSigner signs with keys[0] the messages whose record key is their
// keyMetadata field.
func NewSigner(keys []MessageKey, keyMetadata string) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errors.New("no message key to sign with")
	}
	s := &Signer{signing: keys[0], keys: make(map[string][]byte, len(keys)), keyMetadata: keyMetadata}
	for _, k := range keys {
		s.keys[k.ID] = k.Secret
	}
	return s, nil
}

// Sign sets msg's signature for publishing on topic.
func (s *Signer) Sign(topic string, msg *message.Message) {
	mac := s.mac(s.signing.Secret, topic, msg.Metadata.Get(s.keyMetadata), msg.Payload)
	msg.Metadata.Set(SignatureHeader, s.signing.ID+":"+base64.RawURLEncoding.EncodeToString(mac))
}

// Verify checks a message a router handler read from Kafka: signed by one
// of the keys, for the topic the handler reads, with the record's key and
// value as they are. The error says what is wrong.
func (s *Signer) Verify(msg *message.Message) error {
	return s.Check(message.SubscribeTopicFromCtx(msg.Context()), string(messageKey(msg.Context())), msg.Payload, msg.Metadata.Get(SignatureHeader))
}

// Check verifies signature, a SignatureHeader value, for a record with key
// and value on topic.
func (s *Signer) Check(topic, key string, value []byte, signature string) error {
	if signature == "" {
		return fmt.Errorf("no %s header", SignatureHeader)
	}
	id, encoded, ok := strings.Cut(signature, ":")
	mac, err := base64.RawURLEncoding.DecodeString(encoded)
	if !ok || err != nil {
		return fmt.Errorf("malformed %s header", SignatureHeader)
	}
	secret, ok := s.keys[id]
	if !ok {
		return fmt.Errorf("signed with key %q, which is not in security.message_keys", id)
	}
	if !hmac.Equal(mac, s.mac(secret, topic, key, value)) {
		return errors.New("the signature does not match: the message was changed after kds signed it")
	}
	return nil
}

func (s *Signer) mac(secret []byte, topic, key string, value []byte) []byte {
	h := hmac.New(sha256.New, secret)
	// Each field with its length first, so that no two records share an
	// input: moving bytes from the key to the value changes the MAC.
	for _, f := range [][]byte{[]byte(signatureContext), []byte(topic), []byte(key), value} {
		_ = binary.Write(h, binary.BigEndian, uint64(len(f)))
		h.Write(f)
	}
	return h.Sum(nil)
}

// NewSigningPublisher signs every message it passes to next.
func NewSigningPublisher(next message.Publisher, s *Signer) message.Publisher {
	return signingPublisher{Publisher: next, signer: s}
}

type signingPublisher struct {
	message.Publisher
	signer *Signer
}

func (p signingPublisher) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		p.signer.Sign(topic, m)
	}
	return p.Publisher.Publish(topic, msgs...)
}
