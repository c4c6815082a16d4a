//! `Fn::Cidr`: splitting an IPv4 block into equal subnets.

use std::net::Ipv4Addr;

/// `count` subnets of `bits` host bits each, carved in order from `block` (`10.0.0.0/16`).
pub fn subnets(block: &str, count: &str, bits: &str) -> Result<Vec<String>, String> {
    let (address, prefix) = block
        .split_once('/')
        .ok_or_else(|| format!("ipBlock `{block}` is not in CIDR form like 10.0.0.0/16"))?;
    let address: Ipv4Addr = address
        .parse()
        .map_err(|_| format!("ipBlock `{block}` is not an IPv4 CIDR block"))?;
    let prefix: u32 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= 32)
        .ok_or_else(|| format!("ipBlock `{block}` has an invalid prefix length"))?;
    let count: u32 = count
        .parse()
        .ok()
        .filter(|c| (1..=256).contains(c))
        .ok_or_else(|| format!("count `{count}` must be a number from 1 to 256"))?;
    let bits: u32 = bits
        .parse()
        .ok()
        .filter(|b| (1..=32).contains(b))
        .ok_or_else(|| format!("cidrBits `{bits}` must be a number from 1 to 32"))?;
    let new_prefix = 32 - bits;
    if new_prefix < prefix {
        return Err(format!(
            "cidrBits {bits} is larger than the block /{prefix} allows"
        ));
    }
    let available = 1u64 << (new_prefix - prefix);
    if u64::from(count) > available {
        return Err(format!(
            "block {block} holds only {available} subnets of /{new_prefix}"
        ));
    }
    let base = u32::from(address)
        & if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
    Ok((0..count)
        .map(|i| {
            let start = u64::from(base) + (u64::from(i) << bits);
            format!("{}/{new_prefix}", Ipv4Addr::from(start as u32))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn splits_blocks() {
        assert_eq!(
            super::subnets("10.0.0.0/16", "3", "8").unwrap(),
            vec!["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
        );
        assert!(super::subnets("10.0.0.0/24", "3", "16").is_err());
        assert!(super::subnets("nope", "1", "8").is_err());
    }
}
