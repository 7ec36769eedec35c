package transfer

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"
)

// crc64NVME is the CRC-64/NVME table S3 uses (reversed polynomial of
// 0xAD93D23594C93659).
var crc64NVME = crc64.MakeTable(0x9A6C9329AC4BC9B5)

// carriedChecksum returns the source's checksum when the destination can
// verify it for the whole object after a multipart upload: a FULL_OBJECT
// CRC (CRC32, CRC32C, CRC64NVME). Composite checksums and SHA digests of
// multipart sources depend on the source's part layout, which a copy with
// its own part plan cannot reproduce; those are not carried.
func carriedChecksum(c *Checksum) *Checksum {
	if c == nil || c.Value == "" || strings.Contains(c.Value, "-") {
		return nil
	}
	if c.Type != "" && c.Type != "FULL_OBJECT" {
		return nil
	}
	switch strings.ToUpper(c.Algorithm) {
	case "CRC32", "CRC32C", "CRC64NVME":
		return &Checksum{Algorithm: strings.ToUpper(c.Algorithm), Value: c.Value, Type: "FULL_OBJECT"}
	}
	return nil
}

// checksumOf returns the base64 checksum of data with S3's algorithm name,
// or "" for an unknown algorithm.
func checksumOf(alg string, data []byte) string {
	var h hash.Hash
	switch strings.ToUpper(alg) {
	case "CRC32":
		h = crc32.NewIEEE()
	case "CRC32C":
		h = crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "CRC64NVME":
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], crc64.Checksum(data, crc64NVME))
		return base64.StdEncoding.EncodeToString(b[:])
	case "SHA1":
		h = sha1.New()
	case "SHA256":
		h = sha256.New()
	default:
		return ""
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
