vhid 3
carpdev eth0
address 192.0.2.3
auth compat
authkeyfile missing.key
