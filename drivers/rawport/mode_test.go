package rawport

import (
	"strings"
	"testing"

	"go.bug.st/serial"
)

func TestSerialMode(t *testing.T) {
	tests := []struct {
		name     string
		dataBits int
		parity   string
		stopBits int
		want     serial.Mode
		wantErr  string
	}{
		{name: "defaults", want: serial.Mode{BaudRate: 19200, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit}},
		{name: "8E1", dataBits: 8, parity: "even", stopBits: 1, want: serial.Mode{BaudRate: 19200, DataBits: 8, Parity: serial.EvenParity, StopBits: serial.OneStopBit}},
		{name: "7O2", dataBits: 7, parity: "odd", stopBits: 2, want: serial.Mode{BaudRate: 19200, DataBits: 7, Parity: serial.OddParity, StopBits: serial.TwoStopBits}},
		{name: "none spelled out", parity: "none", want: serial.Mode{BaudRate: 19200, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit}},
		{name: "data bits out of range", dataBits: 9, wantErr: "data_bits: 9 outside 5..8"},
		{name: "unknown parity", parity: "mark", wantErr: `parity: unknown parity "mark"`},
		{name: "three stop bits", stopBits: 3, wantErr: "stop_bits: 3, want 1 or 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := SerialMode(19200, tt.dataBits, tt.parity, tt.stopBits)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *m != tt.want {
				t.Errorf("mode = %+v, want %+v", *m, tt.want)
			}
		})
	}
}
