-- carpsync-sync.lua: Wireshark / tshark dissector for carpsync's state-sync
-- frames (syncd), IP protocol 240. Written from the format description in
-- carpsync-sync(7), independently of syncd/sync_wire.c, so that a capture
-- is a second opinion on what syncd puts on the wire.
--
--   tshark -X lua_script:scripts/carpsync-sync.lua -r capture.pcap -V
--   wireshark -X lua_script:scripts/carpsync-sync.lua
--   (or copy the file to ~/.local/lib/wireshark/plugins/)
--
-- IP protocol 240 is pfsync's; a real pfsync frame (version 5 or 6) is
-- shown as "not carpsync" and left alone. The HMAC is shown, not verified
-- (the dissector has no key). Filter fields: carpsync.*, e.g.
--   carpsync.state.id == 0x0102030405060708
--   carpsync.action == 13 && carpsync.state.orig.src == 192.0.2.10
-- Addresses are IPv4 fields (.src, .dst) or IPv6 fields (.src6, .dst6)
-- according to the record's af, so both can be used in display filters.

local VERSION = 0x81
local HDR_LEN, SUBHDR_LEN, MAC_LEN = 16, 4, 32
local AF_INET, AF_INET6 = 2, 10

local p = Proto("carpsync", "carpsync-sync")

local actions = {
	[0] = "CLR", [2] = "INS_ACK", [4] = "UPD_C", [5] = "UPD_REQ",
	[7] = "DEL_C", [10] = "BUS", [13] = "INS", [14] = "UPD",
	[16] = "NACK",
	[17] = "ACK",
}
-- bytes of each known action's message; anything else is skipped
local sizes = {
	[0] = 8, [2] = 12, [4] = 28, [5] = 12, [7] = 12, [10] = 12,
	[13] = 124, [14] = 124, [16] = 16, [17] = 16,
}
local afs = { [AF_INET] = "IPv4", [AF_INET6] = "IPv6" }
local bus_status = { [1] = "start", [2] = "end" }
-- Linux enum tcp_conntrack (linux/netfilter/nf_conntrack_tcp.h)
local tcp_states = {
	[0] = "NONE", [1] = "SYN_SENT", [2] = "SYN_RECV",
	[3] = "ESTABLISHED", [4] = "FIN_WAIT", [5] = "CLOSE_WAIT",
	[6] = "LAST_ACK", [7] = "TIME_WAIT", [8] = "CLOSE",
	[9] = "SYN_SENT2",
}
local protos = { [1] = "ICMP", [6] = "TCP", [17] = "UDP", [33] = "DCCP",
	[58] = "ICMPv6", [132] = "SCTP", [136] = "UDPLite", [47] = "GRE" }

local F = {}
local function field(key, f) F[key] = f end

-- header
field("version", ProtoField.uint8("carpsync.version", "Version", base.HEX))
field("flags", ProtoField.uint8("carpsync.flags", "Flags", base.HEX))
field("flags_retx", ProtoField.bool("carpsync.flags.retx",
    "Retransmission (an earlier seq, current content)", 8, nil, 0x01))
field("flags_lost", ProtoField.bool("carpsync.flags.lost",
    "Lost (the sender no longer knows that frame)", 8, nil, 0x02))
field("len", ProtoField.uint16("carpsync.len", "Length", base.DEC))
field("node_id", ProtoField.uint32("carpsync.node_id", "Node id", base.HEX))
field("epoch", ProtoField.uint32("carpsync.epoch", "Epoch", base.DEC))
field("seq", ProtoField.uint32("carpsync.seq", "Sequence", base.DEC))
field("hmac", ProtoField.bytes("carpsync.hmac", "HMAC-SHA256"))
field("trailing", ProtoField.bytes("carpsync.trailing",
    "Bytes after len (ignored)"))
-- subheader
field("action", ProtoField.uint8("carpsync.action", "Action", base.DEC,
    actions))
field("msg_len", ProtoField.uint8("carpsync.msg_len",
    "Message length (32-bit words)", base.DEC))
field("count", ProtoField.uint16("carpsync.count", "Count", base.DEC))
field("skipped", ProtoField.bytes("carpsync.skipped",
    "Skipped data (unknown action)"))
field("extra", ProtoField.bytes("carpsync.extra",
    "Extension bytes (longer message than known)"))
-- state record, UPD_C and the state references
local S = "carpsync.state."
field("id", ProtoField.uint64(S .. "id", "State id", base.HEX))
field("creatorid", ProtoField.uint32(S .. "creatorid", "Creator id",
    base.HEX))
field("af", ProtoField.uint8(S .. "af", "Address family", base.DEC, afs))
field("proto", ProtoField.uint8(S .. "proto", "Protocol", base.DEC,
    protos))
field("tcp_state", ProtoField.uint8(S .. "tcp_state", "TCP state",
    base.DEC, tcp_states))
field("state_flags", ProtoField.uint8(S .. "state_flags", "State flags",
    base.HEX))
field("sf_ack", ProtoField.bool(S .. "state_flags.ack",
    "ACK requested (defer)", 8, nil, 0x01))
field("zone", ProtoField.uint16(S .. "zone", "Zone", base.DEC))
field("wscale_orig", ProtoField.uint8(S .. "wscale.orig",
    "Window scale (original)", base.DEC))
field("wscale_reply", ProtoField.uint8(S .. "wscale.reply",
    "Window scale (reply)", base.DEC))
field("status", ProtoField.uint32(S .. "status", "Status (IPS_*)",
    base.HEX))
field("mark", ProtoField.uint32(S .. "mark", "Mark", base.HEX))
field("timeout", ProtoField.uint32(S .. "timeout", "Timeout (s left)",
    base.DEC))
field("tcp_flags_orig", ProtoField.uint8(S .. "tcp_flags.orig",
    "TCP flags (original)", base.HEX))
field("tcp_flags_reply", ProtoField.uint8(S .. "tcp_flags.reply",
    "TCP flags (reply)", base.HEX))
field("labels", ProtoField.bytes(S .. "labels", "Labels"))
field("addr_raw", ProtoField.bytes(S .. "addr", "Address (unknown af)"))
for _, dir in ipairs({ "orig", "reply" }) do
	local D = S .. dir .. "."
	field(dir .. "_src", ProtoField.ipv4(D .. "src", "Source"))
	field(dir .. "_dst", ProtoField.ipv4(D .. "dst", "Destination"))
	field(dir .. "_src6", ProtoField.ipv6(D .. "src6", "Source"))
	field(dir .. "_dst6", ProtoField.ipv6(D .. "dst6", "Destination"))
	field(dir .. "_sport", ProtoField.uint16(D .. "sport",
	    "Source port (ICMP: id)", base.DEC))
	field(dir .. "_dport", ProtoField.uint16(D .. "dport",
	    "Destination port (ICMP: type << 8 | code)", base.DEC))
end
-- BUS, CLR, NACK
field("bus_creatorid", ProtoField.uint32("carpsync.bus.creatorid",
    "Creator id", base.HEX))
field("bus_endtime", ProtoField.uint32("carpsync.bus.endtime",
    "End time (s since the request)", base.DEC))
field("bus_status", ProtoField.uint8("carpsync.bus.status", "Status",
    base.DEC, bus_status))
field("clr_creatorid", ProtoField.uint32("carpsync.clr.creatorid",
    "Creator id", base.HEX))
field("ack_node", ProtoField.uint32("carpsync.ack.node_id",
    "Node acknowledged", base.HEX))
field("ack_epoch", ProtoField.uint32("carpsync.ack.epoch", "Epoch",
    base.DEC))
field("ack_seq", ProtoField.uint32("carpsync.ack.seq",
    "Held without a hole up to", base.DEC))
field("nack_node", ProtoField.uint32("carpsync.nack.node_id",
    "Node asked", base.HEX))
field("nack_epoch", ProtoField.uint32("carpsync.nack.epoch", "Epoch",
    base.DEC))
field("nack_from", ProtoField.uint32("carpsync.nack.from_seq",
    "From sequence", base.DEC))
field("nack_to", ProtoField.uint32("carpsync.nack.to_seq", "To sequence",
    base.DEC))

local list = {}
for _, f in pairs(F) do list[#list + 1] = f end
p.fields = list

local E = {
	short = ProtoExpert.new("carpsync.short",
	    "Shorter than header + HMAC (hdrops)",
	    expert.group.MALFORMED, expert.severity.ERROR),
	badver = ProtoExpert.new("carpsync.badver",
	    "Not carpsync's version (a pfsync peer?): badver",
	    expert.group.PROTOCOL, expert.severity.WARN),
	len_mismatch = ProtoExpert.new("carpsync.len_mismatch",
	    "Header len disagrees with the datagram",
	    expert.group.MALFORMED, expert.severity.ERROR),
	len_trailing = ProtoExpert.new("carpsync.len_trailing",
	    "Datagram longer than header len; extra bytes ignored",
	    expert.group.PROTOCOL, expert.severity.NOTE),
	badlen = ProtoExpert.new("carpsync.badlen",
	    "Section overruns the frame (badlen)",
	    expert.group.MALFORMED, expert.severity.ERROR),
	badact = ProtoExpert.new("carpsync.badact",
	    "Message length or count not valid for the action (badact)",
	    expert.group.MALFORMED, expert.severity.ERROR),
	skipped = ProtoExpert.new("carpsync.unknown_action",
	    "Unknown action: section skipped",
	    expert.group.UNDECODED, expert.severity.NOTE),
}
p.experts = { E.short, E.badver, E.len_mismatch, E.len_trailing, E.badlen,
	E.badact, E.skipped }

local function hex(v, digits)
	return string.format("0x%0" .. digits .. "x", v)
end

local function hex64(r)
	return "0x" .. r:uint64():tohex(16)
end

local function raw(tvb, off, n)
	return tvb(off, n):bytes():tohex()
end

-- One tuple; af decides how the 16-byte address fields are read.
local function tuple(tvb, off, tree, dir, af)
	local t = tree:add(tvb(off, 36), dir == "orig" and "Original tuple"
	    or "Reply tuple")
	local txt = {}
	for i, side in ipairs({ "src", "dst" }) do
		local a = tvb(off + (i - 1) * 16, 16)
		if af == AF_INET then
			t:add(F[dir .. "_" .. side], a(0, 4))
			txt[i] = tostring(a(0, 4):ipv4())
		elseif af == AF_INET6 then
			t:add(F[dir .. "_" .. side .. "6"], a)
			txt[i] = "[" .. tostring(a:ipv6()) .. "]"
		else
			t:add(F.addr_raw, a)
			txt[i] = "?"
		end
	end
	t:add(F[dir .. "_sport"], tvb(off + 32, 2))
	t:add(F[dir .. "_dport"], tvb(off + 34, 2))
	local s = string.format("%s:%d -> %s:%d", txt[1],
	    tvb(off + 32, 2):uint(), txt[2], tvb(off + 34, 2):uint())
	t:append_text(": " .. s)
	return s
end

local function add_flags(tree, tvb)
	local fi = tree:add(F.state_flags, tvb)
	fi:add(F.sf_ack, tvb)
end

-- NAT is expressed by the reply tuple: reply.src != orig.dst is DNAT,
-- reply.dst != orig.src is SNAT (conntrack's own view). ICMP's "ports"
-- are the id (the same both ways, unless SNAT rewrote it) and the type
-- (request vs reply), so only the id is compared there.
local function nat_text(tvb, off, proto)
	local o, r = off + 36, off + 72
	local icmp = proto == 1 or proto == 58
	local t = {}
	if raw(tvb, r, 16) ~= raw(tvb, o + 16, 16) or (not icmp and
	    tvb(r + 32, 2):uint() ~= tvb(o + 34, 2):uint()) then
		t[#t + 1] = "DNAT"
	end
	local rport = icmp and tvb(r + 32, 2) or tvb(r + 34, 2)
	if raw(tvb, r + 16, 16) ~= raw(tvb, o, 16) or
	    rport:uint() ~= tvb(o + 32, 2):uint() then
		t[#t + 1] = "SNAT"
	end
	return #t > 0 and (", " .. table.concat(t, "+")) or ""
end

local function state(tvb, off, tree)
	local r = tvb(off, 124)
	local t = tree:add(r, "State")
	local af, proto = tvb(off + 12, 1):uint(), tvb(off + 13, 1):uint()
	t:add(F.id, tvb(off, 8))
	t:add(F.creatorid, tvb(off + 8, 4))
	t:add(F.af, tvb(off + 12, 1))
	t:add(F.proto, tvb(off + 13, 1))
	t:add(F.tcp_state, tvb(off + 14, 1))
	add_flags(t, tvb(off + 15, 1))
	t:add(F.zone, tvb(off + 16, 2))
	t:add(F.wscale_orig, tvb(off + 18, 1))
	t:add(F.wscale_reply, tvb(off + 19, 1))
	t:add(F.status, tvb(off + 20, 4))
	t:add(F.mark, tvb(off + 24, 4))
	t:add(F.timeout, tvb(off + 28, 4))
	t:add(F.tcp_flags_orig, tvb(off + 32, 1))
	t:add(F.tcp_flags_reply, tvb(off + 33, 1))
	local s = tuple(tvb, off + 36, t, "orig", af)
	tuple(tvb, off + 72, t, "reply", af)
	t:add(F.labels, tvb(off + 108, 16))
	t:append_text(string.format(" %s/%s %s, %s %s%s",
	    hex64(tvb(off, 8)), hex(tvb(off + 8, 4):uint(), 8),
	    protos[proto] or tostring(proto), afs[af] or "af?", s,
	    nat_text(tvb, off, proto)))
end

local function upd_c(tvb, off, tree)
	local t = tree:add(tvb(off, 28), "Compressed update")
	t:add(F.id, tvb(off, 8))
	t:add(F.creatorid, tvb(off + 8, 4))
	t:add(F.status, tvb(off + 12, 4))
	t:add(F.mark, tvb(off + 16, 4))
	t:add(F.timeout, tvb(off + 20, 4))
	t:add(F.tcp_state, tvb(off + 24, 1))
	add_flags(t, tvb(off + 25, 1))
	t:add(F.tcp_flags_orig, tvb(off + 26, 1))
	t:add(F.tcp_flags_reply, tvb(off + 27, 1))
	t:append_text(" " .. hex64(tvb(off, 8)))
end

local function ref(tvb, off, tree, action)
	local t = tree:add(tvb(off, 12), "State reference")
	t:add(F.id, tvb(off, 8))
	t:add(F.creatorid, tvb(off + 8, 4))
	t:append_text(string.format(" %s/%s", hex64(tvb(off, 8)),
	    hex(tvb(off + 8, 4):uint(), 8)))
	if action == 5 and raw(tvb, off, 12) == string.rep("0", 24) then
		t:append_text(" (bulk request)")
	end
end

local function bus(tvb, off, tree)
	local t = tree:add(tvb(off, 12), "Bulk update status")
	t:add(F.bus_creatorid, tvb(off, 4))
	t:add(F.bus_endtime, tvb(off + 4, 4))
	t:add(F.bus_status, tvb(off + 8, 1))
	t:append_text(" " .. (bus_status[tvb(off + 8, 1):uint()] or "?"))
end

local function clr(tvb, off, tree)
	local t = tree:add(tvb(off, 8), "Clear")
	t:add(F.clr_creatorid, tvb(off, 4))
end

local function nack(tvb, off, tree)
	local t = tree:add(tvb(off, 16), "Negative acknowledgement")
	t:add(F.nack_node, tvb(off, 4))
	t:add(F.nack_epoch, tvb(off + 4, 4))
	t:add(F.nack_from, tvb(off + 8, 4))
	t:add(F.nack_to, tvb(off + 12, 4))
	t:append_text(string.format(" node 0x%08x epoch %d seq %d..%d",
	    tvb(off, 4):uint(), tvb(off + 4, 4):uint(),
	    tvb(off + 8, 4):uint(), tvb(off + 12, 4):uint()))
end

local function ack(tvb, off, tree)
	local t = tree:add(tvb(off, 16), "Acknowledgement")
	t:add(F.ack_node, tvb(off, 4))
	t:add(F.ack_epoch, tvb(off + 4, 4))
	t:add(F.ack_seq, tvb(off + 8, 4))
	t:append_text(string.format(" node 0x%08x epoch %d up to seq %d",
	    tvb(off, 4):uint(), tvb(off + 4, 4):uint(), tvb(off + 8, 4):uint()))
end

local decoders = {
	[0] = clr, [2] = ref, [4] = upd_c, [5] = ref, [7] = ref, [10] = bus,
	[13] = state, [14] = state, [16] = nack, [17] = ack,
}

-- Messages of a known action: the known prefix, then any extension.
local function messages(tvb, off, st, action, mlen, count)
	local known = sizes[action]
	for i = 0, count - 1 do
		local m = off + i * mlen
		decoders[action](tvb, m, st, action)
		if mlen > known then
			st:add(F.extra, tvb(m + known, mlen - known))
		end
	end
end

-- One section at off; returns the next offset, or nil to stop.
local function section(tvb, pinfo, tree, off, body_end, names)
	if body_end - off < SUBHDR_LEN then
		tree:add_proto_expert_info(E.badlen, string.format(
		    "%d stray bytes after the last section (badlen)",
		    body_end - off))
		return nil
	end
	local action = tvb(off, 1):uint()
	local words, count = tvb(off + 1, 1):uint(), tvb(off + 2, 2):uint()
	local mlen = words * 4
	local total = mlen * count
	local name = actions[action] or string.format("unknown (%d)", action)
	local st = tree:add(tvb(off, math.min(SUBHDR_LEN + total,
	    body_end - off)), string.format("Section %s, %d x %d bytes",
	    name, count, mlen))
	st:add(F.action, tvb(off, 1))
	st:add(F.msg_len, tvb(off + 1, 1)):append_text(
	    string.format(" (%d bytes)", mlen))
	st:add(F.count, tvb(off + 2, 2))
	off = off + SUBHDR_LEN
	if total > body_end - off then
		st:add_proto_expert_info(E.badlen)
		return nil
	end
	local known = sizes[action]
	if (known and mlen < known) or (not known and total == 0) then
		st:add_proto_expert_info(E.badact)
		return nil
	end
	if known then
		messages(tvb, off, st, action, mlen, count)
		names[#names + 1] = count > 1 and
		    string.format("%s x%d", name, count) or name
	else
		st:add(F.skipped, tvb(off, total))
		st:add_proto_expert_info(E.skipped)
		st:append_text(" [skipped]")
		names[#names + 1] = "skipped " .. action
	end
	return off + total
end

local function header(tvb, t)
	t:add(F.version, tvb(0, 1))
	local fl = t:add(F.flags, tvb(1, 1))
	fl:add(F.flags_retx, tvb(1, 1))
	fl:add(F.flags_lost, tvb(1, 1))
	local li = t:add(F.len, tvb(2, 2))
	t:add(F.node_id, tvb(4, 4))
	t:add(F.epoch, tvb(8, 4))
	t:add(F.seq, tvb(12, 4))
	return li
end

-- The bytes the frame covers: its len, or the datagram if len is bad.
local function frame_end(tvb, li)
	local dlen = tvb:reported_length_remaining()
	local hlen = tvb(2, 2):uint()
	if hlen > dlen or hlen < HDR_LEN + MAC_LEN then
		li:add_proto_expert_info(E.len_mismatch, string.format(
		    "Header len %d, datagram %d bytes (badlen)", hlen, dlen))
		return dlen
	end
	if hlen < dlen then
		li:add_proto_expert_info(E.len_trailing, string.format(
		    "Header len %d, datagram %d bytes: %d ignored", hlen,
		    dlen, dlen - hlen))
	end
	return hlen
end

function p.dissector(tvb, pinfo, tree)
	local dlen = tvb:reported_length_remaining()
	pinfo.cols.protocol = "CARPSYNC"
	local t = tree:add(p, tvb())
	if dlen < HDR_LEN + MAC_LEN then
		t:add_proto_expert_info(E.short)
		pinfo.cols.info = "carpsync: too short"
		return
	end
	if tvb(0, 1):uint() ~= VERSION then
		t:add(F.version, tvb(0, 1)):add_proto_expert_info(E.badver)
		pinfo.cols.info = string.format("not carpsync (version %d)",
		    tvb(0, 1):uint())
		return
	end
	local li = header(tvb, t)
	local fend = frame_end(tvb, li)
	local body_end = fend - MAC_LEN
	local off, names = HDR_LEN, {}
	while off and off < body_end do
		off = section(tvb, pinfo, t, off, body_end, names)
	end
	t:add(F.hmac, tvb(body_end, MAC_LEN)):append_text(
	    " (not verified: no key)")
	if fend < dlen then
		t:add(F.trailing, tvb(fend, dlen - fend))
	end
	local info = string.format("node %s epoch %d seq %d: %s",
	    hex(tvb(4, 4):uint(), 8), tvb(8, 4):uint(), tvb(12, 4):uint(),
	    #names > 0 and table.concat(names, ", ") or "empty")
	t:append_text(", " .. info)
	pinfo.cols.info = info
	return dlen
end

DissectorTable.get("ip.proto"):add(240, p)
