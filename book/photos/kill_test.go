package photos

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const crashDirEnv = "CELLFORGE_PHOTOS_CRASH_DIR"

// TestKill9LeavesWholePhotos kills a process with SIGKILL while it stores photos, several
// times over the same directory, and checks each time that every photo it acknowledged is there
// with its thumbnail, that every photo there is whole (its bytes hash to its name), and that
// opening the store again clears what was cut off.
func TestKill9LeavesWholePhotos(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		putForever(dir)
		return
	}
	dir := t.TempDir()
	var acked []string
	for round := range 8 {
		acked = append(acked, putAndKill(t, dir, 2+rand.IntN(4))...)
		checkWhole(t, dir, acked)
		if t.Failed() {
			t.Fatalf("after kill %d", round+1)
		}
	}
	t.Logf("%d photos acknowledged over 8 kills", len(acked))
}

// putAndKill runs putForever in a process of its own and kills it at a moment that varies from
// run to run after it acknowledged n photos, returning their hashes.
func putAndKill(t *testing.T, dir string, n int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9LeavesWholePhotos$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	lines := bufio.NewScanner(out)
	for len(acked) < n && lines.Scan() {
		if h, ok := strings.CutPrefix(lines.Text(), "stored "); ok {
			acked = append(acked, h)
		}
	}
	time.Sleep(time.Duration(rand.IntN(20_000)) * time.Microsecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) < n {
		t.Fatalf("the process acknowledged %d photos before it ended: %v", len(acked), lines.Err())
	}
	return acked
}

// checkWhole checks a directory a killed process stored photos in, then opens it as a store.
func checkWhole(t *testing.T, dir string, acked []string) {
	t.Helper()
	for _, name := range files(t, dir) {
		base := filepath.Base(name)
		if len(name) == 2 || strings.HasPrefix(base, tempPrefix) || strings.HasSuffix(base, thumbSuffix) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if hash := strings.TrimSuffix(base, ".png"); hex.EncodeToString(sum[:]) != hash {
			t.Errorf("%s holds %d bytes that are not the photo of its name", name, len(b))
		}
		if _, err := os.Stat(filepath.Join(dir, strings.TrimSuffix(name, ".png")+thumbSuffix)); err != nil {
			t.Errorf("%s has no thumbnail: %v", name, err)
		}
	}
	s, err := New(dir, Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range acked {
		f, _, err := s.Open(h)
		if err != nil {
			t.Errorf("acknowledged photo %s: %v", h, err)
			continue
		}
		f.Close()
		th, err := s.OpenThumbnail(h)
		if err != nil {
			t.Errorf("thumbnail of acknowledged photo %s: %v", h, err)
			continue
		}
		if _, err := jpeg.Decode(th); err != nil {
			t.Errorf("thumbnail of acknowledged photo %s: %v", h, err)
		}
		th.Close()
	}
	for _, name := range files(t, dir) {
		if strings.HasPrefix(filepath.Base(name), tempPrefix) {
			t.Errorf("%s is still there after New", name)
		}
	}
}

// putForever stores distinct photos until the process is killed, printing each hash once Put
// returned it.
func putForever(dir string) {
	s, err := New(dir, Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	for {
		img := image.NewNRGBA(image.Rect(0, 0, 200, 150))
		for i := range img.Pix {
			img.Pix[i] = byte(rng.Uint32())
		}
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.NoCompression}
		if err := enc.Encode(&buf, img); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		rec, err := s.Put(context.Background(), &buf)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("stored", rec.Hash)
	}
}
