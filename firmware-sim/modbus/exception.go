package modbus

import "fmt"

// Exception is a Modbus exception code, sent in an exception response.
type Exception byte

// Exception codes of the Modbus Application Protocol spec v1.1b3, section 7.
const (
	IllegalFunction         Exception = 0x01
	IllegalDataAddress      Exception = 0x02
	IllegalDataValue        Exception = 0x03
	ServerDeviceFailure     Exception = 0x04
	Acknowledge             Exception = 0x05
	ServerDeviceBusy        Exception = 0x06
	GatewayPathUnavailable  Exception = 0x0A
	GatewayTargetNoResponse Exception = 0x0B
)

// Error returns the exception's name as the spec writes it.
func (e Exception) Error() string {
	switch e {
	case IllegalFunction:
		return "modbus exception 01: illegal function"
	case IllegalDataAddress:
		return "modbus exception 02: illegal data address"
	case IllegalDataValue:
		return "modbus exception 03: illegal data value"
	case ServerDeviceFailure:
		return "modbus exception 04: server device failure"
	case Acknowledge:
		return "modbus exception 05: acknowledge"
	case ServerDeviceBusy:
		return "modbus exception 06: server device busy"
	case GatewayPathUnavailable:
		return "modbus exception 0a: gateway path unavailable"
	case GatewayTargetNoResponse:
		return "modbus exception 0b: gateway target device failed to respond"
	}
	return fmt.Sprintf("modbus exception %02x", byte(e))
}

// exceptionPDU returns the exception response to function code fc.
func exceptionPDU(fc byte, e Exception) []byte {
	return []byte{fc | 0x80, byte(e)}
}
