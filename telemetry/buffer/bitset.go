package buffer

// bitset is a set of sequence numbers from a moving low end up: the queue keeps in it what was
// acknowledged, or handed out, past the cursor, which costs a bit per record however far the
// consumers run ahead of the cursor.
type bitset struct {
	base  uint64 // the number of the first bit of words[0], a multiple of 64
	words []uint64
}

func (b *bitset) has(i uint64) bool {
	if i < b.base {
		return false
	}
	k := (i - b.base) / 64
	if k >= uint64(len(b.words)) {
		return false
	}
	return b.words[k]&(1<<(i%64)) != 0
}

func (b *bitset) set(i uint64) {
	if i < b.base {
		return
	}
	k := (i - b.base) / 64
	for uint64(len(b.words)) <= k {
		b.words = append(b.words, 0)
	}
	b.words[k] |= 1 << (i % 64)
}

// trim forgets the bits below low; it keeps those of low's word.
func (b *bitset) trim(low uint64) {
	nb := low &^ 63
	if nb <= b.base {
		return
	}
	k := (nb - b.base) / 64
	if k >= uint64(len(b.words)) {
		b.words = b.words[:0]
	} else {
		b.words = b.words[k:]
	}
	b.base = nb
}
