vhid 256
carpdev eth0
address 192.0.2.2
advbase -1
advskew 0x10
