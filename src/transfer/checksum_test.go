package transfer

import "testing"

func TestChecksumOf(t *testing.T) {
	// Reference values: S3's documented checksums of "hello world".
	tests := map[string]string{
		"CRC32":     "DUoRhQ==",
		"CRC32C":    "yZRlqg==",
		"CRC64NVME": "jSnVw/bqjr4=",
		"SHA1":      "Kq5sNclPz7QV2+lfQIuc6R7oRu0=",
		"SHA256":    "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
		"MD5":       "",
	}
	for alg, want := range tests {
		if got := checksumOf(alg, []byte("hello world")); got != want {
			t.Errorf("%s = %q, want %q", alg, got, want)
		}
	}
}

func TestCarriedChecksum(t *testing.T) {
	tests := []struct {
		in   *Checksum
		want bool
	}{
		{nil, false},
		{&Checksum{Algorithm: "CRC32", Value: "DUoRhQ==", Type: "FULL_OBJECT"}, true},
		{&Checksum{Algorithm: "crc64nvme", Value: "jSnVw/bqjr4="}, true},
		{&Checksum{Algorithm: "CRC32C", Value: "abc=-3", Type: "COMPOSITE"}, false},
		{&Checksum{Algorithm: "SHA256", Value: "uU0n...", Type: "FULL_OBJECT"}, false},
	}
	for _, tc := range tests {
		if got := carriedChecksum(tc.in) != nil; got != tc.want {
			t.Errorf("carriedChecksum(%+v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
