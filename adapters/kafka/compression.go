package kafka

import (
	"fmt"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultCompression is how kds's producers compress what they send
// unless told otherwise: not at all, since every Kafka client reads
// uncompressed batches as installed. Debian's python3-kafka reads gzip
// too, but snappy, lz4 and zstd only with packages of their own.
const DefaultCompression = "none"

// compressions are the codecs kafka.producer.compression names, for each
// of kds's two clients.
var compressions = map[string]struct {
	sarama sarama.CompressionCodec
	kgo    kgo.CompressionCodec
}{
	"none":   {sarama.CompressionNone, kgo.NoCompression()},
	"gzip":   {sarama.CompressionGZIP, kgo.GzipCompression()},
	"snappy": {sarama.CompressionSnappy, kgo.SnappyCompression()},
	"lz4":    {sarama.CompressionLZ4, kgo.Lz4Compression()},
	"zstd":   {sarama.CompressionZSTD, kgo.ZstdCompression()},
}

// compression is the codec name Compression gives, DefaultCompression
// when empty.
func (c Config) compression() string {
	if c.Compression == "" {
		return DefaultCompression
	}
	return c.Compression
}

func (c Config) validateCompression() error {
	if _, ok := compressions[c.compression()]; !ok {
		return fmt.Errorf("kafka.producer.compression %q: want none, gzip, snappy, lz4 or zstd", c.Compression)
	}
	return nil
}

// saramaCompression and kgoCompression are the codec for each client;
// Validate checked the name.
func (c Config) saramaCompression() sarama.CompressionCodec {
	return compressions[c.compression()].sarama
}

func (c Config) kgoCompression() kgo.CompressionCodec {
	return compressions[c.compression()].kgo
}
