vhid x1
carpdev eth0
address 192.0.2.3
advbase 254
advskew 254
