"""Resources: catalogue, holdings, capacity offers, reserve norms and gaps."""
