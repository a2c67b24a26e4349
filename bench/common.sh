# What the benchmark scripts share (sourced).

# a free TCP port on loopback, below the ephemeral range
port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
