// Package i18n holds the web app's message catalogues and picks one for a request.
//
// English is the source language: a message's id is its English text, a format for fmt
// ("Step %d: %s"), so that a template reads as the page does. Every other language is a JSON
// catalogue embedded from catalogues/ (one file per language) that translates every id the
// pages use; a message that counts things has a singular and a plural id and, in a catalogue,
// a form for each of its language's plural categories. The web package's tests check that every
// id the templates and scripts use is in every catalogue, with the same formatting verbs.
//
// It imports the standard library only.
package i18n
