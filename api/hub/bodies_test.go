package hub

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/configs"
)

// TestSlowBatchIsCutOff: a client that trickles a batch a byte now and then is answered 408
// request_timeout and disconnected once the grace period is over and its rate is below the
// minimum, as at a site, instead of holding a handler (and the batch's memory) for as long as
// it likes; nothing of it is stored and the hub goes on answering.
func TestSlowBatchIsCutOff(t *testing.T) {
	e := newEnv(t)
	e.bodyGrace, e.bodyRate = 300*time.Millisecond, 1<<10
	e.restart(nil)
	body := bigBatch("SLOW", 50)
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n",
		batchPath, roleTokens[configs.RolePlanner], len(body))
	// A byte every 50 ms: the whole body would take minutes, far below the minimum rate.
	sent := make(chan int, 1)
	go func() {
		n := 0
		defer func() { sent <- n }()
		for n < len(body) {
			if _, err := conn.Write([]byte{body[n]}); err != nil {
				return
			}
			n++
			time.Sleep(50 * time.Millisecond)
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var answer struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(b, &answer); err != nil || resp.StatusCode != http.StatusRequestTimeout ||
		answer.Error.Code != api.CodeSlowBody || !strings.Contains(answer.Error.Message, "too slowly") {
		t.Fatalf("answer %d %s, want 408 %s saying the body came too slowly", resp.StatusCode, b, api.CodeSlowBody)
	}
	if !resp.Close {
		t.Error("the answer does not close the connection")
	}
	conn.Close()
	if n := <-sent; n >= len(body) {
		t.Fatalf("the hub waited for the whole body (%d bytes)", n)
	}
	e.stillAnswers(t)
	if got := e.storedOrders(t); got != 0 {
		t.Fatalf("a batch cut off for its pace stored %d orders", got)
	}
}
