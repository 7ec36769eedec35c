package transfer

import "fmt"

// S3's multipart limits.
const (
	MiB             int64 = 1 << 20
	GiB             int64 = 1 << 30
	TiB             int64 = 1 << 40
	MinPartSize           = 5 * MiB // every part but the last
	MaxPartSize           = 5 * GiB
	MaxParts              = 10000
	MaxObjectSize         = 5 * TiB
	MaxSinglePut          = 5 * GiB // PutObject / CopyObject limit
	DefaultPartSize       = MinPartSize
)

// PartPlan is how an object of Size bytes is cut into parts. It is the one
// place the part-size rules live.
type PartPlan struct {
	Size     int64 // object size
	PartSize int64 // every part but the last has this size
	Parts    int32 // number of parts (at least 1)
}

// NewPartPlan cuts size bytes into parts of at least partSize (0 means
// DefaultPartSize), growing the part size in whole MiB so that the object
// needs at most MaxParts parts.
func NewPartPlan(size, partSize int64) (PartPlan, error) {
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	switch {
	case size < 0:
		return PartPlan{}, fmt.Errorf("part plan: negative object size %d", size)
	case size > MaxObjectSize:
		return PartPlan{}, fmt.Errorf("part plan: object of %d bytes is larger than S3's 5 TiB limit", size)
	case partSize < MinPartSize:
		return PartPlan{}, fmt.Errorf("part plan: part size %d is below S3's minimum of 5 MiB; use --part-size 5MiB or more", partSize)
	case partSize > MaxPartSize:
		return PartPlan{}, fmt.Errorf("part plan: part size %d is above S3's maximum of 5 GiB", partSize)
	}
	if min := ceilDiv(size, MaxParts); partSize < min {
		partSize = ceilDiv(min, MiB) * MiB
	}
	parts := ceilDiv(size, partSize)
	if parts == 0 {
		parts = 1
	}
	return PartPlan{Size: size, PartSize: partSize, Parts: int32(parts)}, nil
}

// Range returns the offset and length of part n (1-based).
func (p PartPlan) Range(n int32) (off, length int64) {
	off = int64(n-1) * p.PartSize
	length = p.PartSize
	if rest := p.Size - off; rest < length {
		length = rest
	}
	return off, length
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
