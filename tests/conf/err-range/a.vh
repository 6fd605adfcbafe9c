vhid 0
carpdev eth0
address 192.0.2.1
advbase 255
advskew 300
