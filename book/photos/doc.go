// Package photos owns the makers' photos on disk: what a photo must be to be kept, what of it is
// kept, where it lies and how it is read back.
//
// A photo is accepted only when it is a whole, real JPEG, PNG or WebP image, told by its bytes and
// by decoding every pixel of it, never by its name or declared type: at most a size limit
// (Options.MaxBytes, 10 MiB by default) is read, the pixel size in the image's header is bounded
// (Options.MaxPixels, 50 megapixels) before anything is decoded, so are a JPEG's scans (64,
// each of which the decoder goes over the image again for), and any byte after the image's end
// (after a JPEG's EOI marker, a PNG's IEND chunk, a WebP's RIFF size), as an image with a script
// appended has, refuses it. The refusals match ErrTooLarge or ErrNotImage and say why.
//
// Metadata is stripped, without re-encoding: a JPEG keeps only its JFIF (APP0, without the
// thumbnail it may hold), ICC profile (APP2) and Adobe colour transform (APP14, without which
// a CMYK JPEG does not decode) segments of the application ones and loses its
// comments, so Exif and XMP, with any GPS position, go; a PNG keeps only the chunks that make
// or colour its pixels (no tEXt, zTXt, iTXt, eXIf, tIME, nor any chunk it does not know); a
// WebP loses its EXIF and XMP chunks (and any it does not know) and the flags in VP8X that
// announce them. A phone often stores a photo sideways with an Exif
// orientation that says how to turn it. Since the Exif goes, a photo whose orientation is not 1
// is stored turned upright instead, so that every page shows it the right way up: that one is
// re-encoded, a JPEG as a JPEG of quality 95 (with its ICC profile), a PNG as a PNG, and a WebP
// as a PNG (there is no WebP encoder here; PNG keeps every pixel and the alpha).
//
// A stored photo is named by the SHA-256 of its stored bytes, with its type's extension, under a
// directory of the hash's first two hex digits, so the same photo put twice is stored once; each
// comes with a JPEG thumbnail (longest side 320 px) beside it. Every file is written to a
// temporary file, synced and renamed into place, and its directory synced, so a crash leaves
// either no photo or the whole one; the thumbnail is in place before its photo.
//
// It must not import the order book's other packages, nor any driver: it is a library the
// daemon's tablet upload, API and pages use.
package photos
