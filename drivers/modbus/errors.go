package modbus

import (
	"errors"
	"fmt"
)

// Errors a request can end with. Compare with errors.Is; an exception answer
// is an [*ExceptionError] instead, found with errors.As.
var (
	// ErrTimeout means the device did not answer within the line's timeout.
	ErrTimeout = errors.New("no answer within timeout")
	// ErrFrame means an answer arrived but was malformed: bad CRC, wrong
	// length, or a unit id, function code or transaction id that does not
	// match the request.
	ErrFrame = errors.New("malformed answer")
	// ErrNotConnected means the request was not sent because the line is
	// down and waiting to reconnect.
	ErrNotConnected = errors.New("line not connected")
	// ErrClosed means the line has stopped: its Run returned.
	ErrClosed = errors.New("line closed")
	// ErrBackoff means a poll was not sent because the device is backed off
	// after repeated timeouts.
	ErrBackoff = errors.New("device backed off after repeated timeouts")
	// ErrSkipped means a request was not sent because an earlier request of
	// the same poll timed out.
	ErrSkipped = errors.New("skipped after a timeout earlier in the poll")
	// ErrOutOfRange means a value does not fit the register's type.
	ErrOutOfRange = errors.New("value out of range")
	// ErrUnknownCommand means the profile has no command of that name.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrMissingParam means a command needs a parameter the call did not give.
	ErrMissingParam = errors.New("missing parameter")
)

// Exception codes of the Modbus Application Protocol spec v1.1b3, section 7.
const (
	IllegalFunction         byte = 0x01
	IllegalDataAddress      byte = 0x02
	IllegalDataValue        byte = 0x03
	ServerDeviceFailure     byte = 0x04
	Acknowledge             byte = 0x05
	ServerDeviceBusy        byte = 0x06
	GatewayPathUnavailable  byte = 0x0A
	GatewayTargetNoResponse byte = 0x0B
)

// ExceptionError is a Modbus exception answer: the device understood the
// request and refused it.
type ExceptionError struct {
	// Function is the function code of the refused request (without the
	// exception bit).
	Function byte
	// Code is the exception code, one of the constants above or another.
	Code byte
}

// Error returns the exception's name as the spec writes it.
func (e *ExceptionError) Error() string {
	name := ""
	switch e.Code {
	case IllegalFunction:
		name = "illegal function"
	case IllegalDataAddress:
		name = "illegal data address"
	case IllegalDataValue:
		name = "illegal data value"
	case ServerDeviceFailure:
		name = "server device failure"
	case Acknowledge:
		name = "acknowledge"
	case ServerDeviceBusy:
		name = "server device busy"
	case GatewayPathUnavailable:
		name = "gateway path unavailable"
	case GatewayTargetNoResponse:
		name = "gateway target device failed to respond"
	}
	if name == "" {
		return fmt.Sprintf("modbus exception %02x to function %d", e.Code, e.Function)
	}
	return fmt.Sprintf("modbus exception %02x (%s) to function %d", e.Code, name, e.Function)
}
