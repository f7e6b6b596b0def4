package modbus

// CRC16 returns the Modbus RTU CRC-16 of data (polynomial 0xA001 reflected,
// initial value 0xFFFF). On the wire it is sent low byte first.
func CRC16(data []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, b := range data {
		crc ^= uint16(b)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

// appendCRC appends the CRC-16 of frame to it, low byte first.
func appendCRC(frame []byte) []byte {
	crc := CRC16(frame)
	return append(frame, byte(crc), byte(crc>>8))
}
