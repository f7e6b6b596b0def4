package rawport

import (
	"fmt"

	"go.bug.st/serial"
)

// SerialMode returns the go.bug.st/serial mode of a serial line at baud
// with dataBits (5 to 8; 0 means 8), parity ("none" or "" , "even", "odd")
// and stopBits (1 or 2; 0 means 1). Its errors name the field at fault
// (data_bits, parity, stop_bits) as the config spells it.
func SerialMode(baud, dataBits int, parity string, stopBits int) (*serial.Mode, error) {
	if dataBits == 0 {
		dataBits = 8
	}
	if dataBits < 5 || dataBits > 8 {
		return nil, fmt.Errorf("data_bits: %d outside 5..8", dataBits)
	}
	mode := &serial.Mode{BaudRate: baud, DataBits: dataBits}
	switch parity {
	case "", "none":
		mode.Parity = serial.NoParity
	case "even":
		mode.Parity = serial.EvenParity
	case "odd":
		mode.Parity = serial.OddParity
	default:
		return nil, fmt.Errorf("parity: unknown parity %q, want none, even or odd", parity)
	}
	switch stopBits {
	case 0, 1:
		mode.StopBits = serial.OneStopBit
	case 2:
		mode.StopBits = serial.TwoStopBits
	default:
		return nil, fmt.Errorf("stop_bits: %d, want 1 or 2", stopBits)
	}
	return mode, nil
}
