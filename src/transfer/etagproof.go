package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
)

// sourceMatchesMultipartETag reports whether the pinned source, cut into
// the parts that a destination multipart ETag ("<md5 of part md5s>-N")
// implies, gives that ETag. Reading the source is local and cheap next to
// sending it again across a long-haul link, so a re-run whose state file
// was lost still sends nothing for objects already copied. Only the first
// part size that yields N parts is tried, so the source is read at most once.
func (e *Engine) sourceMatchesMultipartETag(ctx context.Context, key string, v SourceVersion, destETag string) bool {
	sum, count, ok := strings.Cut(destETag, "-")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < 1 || n > MaxParts || len(sum) != 2*md5.Size {
		return false
	}
	for _, ps := range []int64{e.opts.PartSize, ceilDiv(ceilDiv(v.Size, int64(n)), MiB) * MiB, 8 * MiB, 16 * MiB} {
		plan, err := NewPartPlan(v.Size, ps)
		if err != nil || plan.Parts != int32(n) || plan.PartSize != ps {
			continue
		}
		h := md5.New()
		for p := int32(1); p <= plan.Parts; p++ {
			off, length := plan.Range(p)
			part, err := e.sourceMD5(ctx, key, v, off, length)
			if err != nil {
				return false
			}
			h.Write(part)
		}
		same := hex.EncodeToString(h.Sum(nil)) == sum
		e.log.Info("compared the source with the destination's multipart ETag", "key", key, "parts", n, "part_size", ps, "same", same)
		return same
	}
	return false
}

// sourceMD5 hashes [off, off+length) of the pinned source in chunks of at
// most one (base) part, so a destination with huge parts does not make the
// engine hold a huge buffer.
func (e *Engine) sourceMD5(ctx context.Context, key string, v SourceVersion, off, length int64) ([]byte, error) {
	h := md5.New()
	for done := int64(0); done < length; {
		n := min(length-done, e.opts.PartSize)
		buf, err := e.pool.Get(ctx, n)
		if err != nil {
			return nil, err
		}
		err = e.src.ReadRange(ctx, key, v, off+done, buf)
		if err == nil {
			h.Write(buf)
		}
		e.pool.Put(buf)
		if err != nil {
			return nil, err
		}
		done += n
	}
	return h.Sum(nil), nil
}
