// Package provenance owns a unit's signed certificate: the document that tells one unit's story
// (its studio, product, drop, steps with their makers, params and machine readings, lots, public
// notes, photos and later repairs), its canonical JSON form (RFC 8785), the studio's Ed25519 key
// ring (the signing key kept on disk, the public keys of retired keys, the public key set the
// daemon publishes), and the certificate file: every revision of a unit, oldest first, each
// signed and each naming the hash of the one before, which Verify checks offline.
//
// The certificate holds public names, never person ids, and no customer data: what it holds is
// meant to be published behind the unit's label. The package reads no configuration and imports
// only store/atomicfile and store/keyfile (its key ring's files) and the standard library; the
// book, the pages and the command line build on it.
package provenance
