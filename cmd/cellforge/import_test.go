package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImportCommand sends batches to a real daemon serving the demo factory, as a planner would.
func TestImportCommand(t *testing.T) {
	d := startDaemon(t, "../../configs/demo.yaml", t.TempDir())
	ctx := context.Background()
	env := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(ctx, append([]string{"import", "--server", d.url, "--token", "demo-planner-token-0001"}, args...), nil, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	// The example batch of the README.
	if code, out, errOut := env("--drop", "spring-27", "../../configs/examples/spring-27.csv"); code != 0 || !strings.Contains(out, "8 new orders") {
		t.Fatalf("importing the README's example: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	good := writeFile(t, "spring.csv", "\ufefforder_id,sku,quantity,customer,notes\r\n"+
		"SP-0001,RUG-KILIM-S,2,Ines Duarte,\"gift wrap, please\"\r\n"+
		"SP-0002,RUG-KILIM-S,1,,\r\n")
	code, out, errOut := env("--drop", "spring-27", good)
	if code != 0 || !strings.Contains(out, "2 new orders") {
		t.Fatalf("import: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	code, out, errOut = env("--drop", "spring-27", "--progress", "always", good)
	if code != 0 || !strings.Contains(out, "0 new orders, 2 already imported") {
		t.Fatalf("re-import: exit %d: %s", code, out)
	}
	if !strings.Contains(errOut, "] 100% ") {
		t.Errorf("the progress bar did not reach 100%%: %q", errOut)
	}

	// The orders are work orders whose first operation is queued at a cell offering it.
	var got struct {
		WorkOrder book.WorkOrder `json:"work_order"`
	}
	if code, err := request(ctx, "GET", d.url+"/api/v1/orders/SP-0001", demoPlanner, "", nil, &got); err != nil || code != 200 {
		t.Fatalf("order SP-0001: %d %v", code, err)
	}
	var detail book.WorkOrderDetail
	request(ctx, "GET", d.url+"/api/v1/work-orders/"+itoa(got.WorkOrder.ID), demoPlanner, "", nil, &detail)
	if len(detail.Operations) < 2 || detail.Operations[0].State != book.Queued || detail.Operations[0].Cell == "" {
		t.Fatalf("work order of SP-0001: %+v", detail)
	}
	for _, op := range detail.Operations[1:] {
		if op.State != book.Pending {
			t.Errorf("operation %d (%s) is %s, want pending", op.Seq, op.Capability, op.State)
		}
	}
	var q struct {
		Queue []book.QueueEntry `json:"queue"`
	}
	request(ctx, "GET", d.url+"/api/v1/cells/"+detail.Operations[0].Cell+"/queue", demoPlanner, "", nil, &q)
	found := false
	for _, e := range q.Queue {
		found = found || e.OrderID == "SP-0001"
	}
	if !found {
		t.Errorf("SP-0001 is not in the queue of %s", detail.Operations[0].Cell)
	}

	bad := writeFile(t, "bad.csv", "order_id,sku,quantity\nSP-0003,RUG-KILIM-S,zero\nSP-0004,NO-SUCH-SKU,1\n")
	code, _, errOut = env("--drop", "spring-27", bad)
	for _, want := range []string{bad + ":2: quantity: ", bad + ":3: sku: unknown SKU \"NO-SUCH-SKU\"", "\n2 problem(s) in 2 row(s)\n"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("bad batch output lacks %q:\n%s", want, errOut)
		}
	}
	if code != 1 {
		t.Errorf("bad batch: exit %d, want 1", code)
	}

	// More bad rows than the daemon lists: the first 1,000 by line, and the count of them all.
	var many strings.Builder
	many.WriteString("order_id,sku,quantity\n")
	for i := range 1500 {
		fmt.Fprintf(&many, "M-%d,RUG-KILIM-S,0\n", i) // lines 2 to 1501
	}
	manyBad := writeFile(t, "many.csv", many.String())
	code, _, errOut = env("--drop", "spring-27", manyBad)
	if n := strings.Count(errOut, manyBad+":"); code != 1 || n != book.DefaultMaxErrors ||
		!strings.Contains(errOut, manyBad+":1001: quantity: ") || strings.Contains(errOut, manyBad+":1002:") ||
		!strings.Contains(errOut, "\nand 500 more problem(s): 1500 problem(s) in 1500 row(s), the first 1000 listed\n") {
		t.Errorf("a batch of 1,500 bad rows: exit %d, %d lines of problems:\n%.300s\n...\n%s", code, n, errOut, errOut[max(0, len(errOut)-300):])
	}

	code, _, errOut = run3(ctx, "import", "--server", d.url, "--token", "demo-operator-token-0001", "--drop", "spring-27", good)
	if code != 1 || !strings.Contains(errOut, "forbidden") {
		t.Errorf("operator import: exit %d: %s", code, errOut)
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string
		stderr string
	}{
		{name: "no command", args: nil, code: 2, stderr: "Usage: cellforge <command>"},
		{name: "help", args: []string{"--help"}, code: 0, stderr: "serve"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{name: "version", args: []string{"version"}, code: 0, stdout: "cellforge "},
		{name: "serve help", args: []string{"serve", "--help"}, code: 0, stderr: "--listen"},
		{name: "import help", args: []string{"import", "--help"}, code: 0, stderr: "--drop"},
		{name: "import without drop", args: []string{"import", "x.csv"}, code: 2, stderr: "Usage: cellforge import"},
		{name: "import unknown format", args: []string{"import", "--drop", "d", "--token", "t", "orders.xlsx"}, code: 1, stderr: "cannot tell the format"},
		{name: "bad flag", args: []string{"serve", "--nope"}, code: 2, stderr: "flag provided but not defined"},
		{name: "hash token", args: []string{"hash", "--token"}, stdin: "manager-token-0000000001\n", code: 0,
			stdout: "b246a81cbae68f45d0f760e25a1cba2770e2e4377548a5f96b14b1903084283e"},
		{name: "hash pin", args: []string{"hash"}, stdin: "4821\n", code: 0, stdout: "$2a$10$"},
		{name: "hash nothing", args: []string{"hash"}, stdin: "", code: 1, stderr: "reading the secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("exit %d stdout %q stderr %q; want exit %d, stdout with %q, stderr with %q",
					code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

func run3(ctx context.Context, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// TestImportReadsAnEarlyAnswer sends a batch to a server that answers before it has read the
// whole upload (as the daemon may, refusing a batch) and reads the rest afterwards: the command
// must go on sending the file while it waits for the answer's body, not close it under the
// request, which made the answer unreadable ("use of closed network connection").
func TestImportReadsAnEarlyAnswer(t *testing.T) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		w.(http.Flusher).Flush()
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
		fmt.Fprint(w, `{"error":{"code":"invalid_batch","message":"the batch has bad rows","problems":1,"bad_rows":1,"rows":[{"line":2,"column":"quantity","reason":"not a number"}]}}`)
	}))
	defer srv.Close()
	var batch strings.Builder
	batch.WriteString("order_id,sku,quantity\nE-0,RUG-KILIM-S,zero\n")
	for i := 1; batch.Len() < 8<<20; i++ {
		fmt.Fprintf(&batch, "E-%d,RUG-KILIM-S,1\n", i)
	}
	file := writeFile(t, "early.csv", batch.String())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, _, errOut := run3(ctx, "import", "--server", srv.URL, "--token", "t", "--drop", "d", "--progress", "never", file)
	if code != 1 || !strings.Contains(errOut, file+":2: quantity: not a number") || got.Load() != int64(batch.Len()) {
		t.Errorf("exit %d, the server read %d of %d bytes:\n%s", code, got.Load(), batch.Len(), errOut)
	}
}
