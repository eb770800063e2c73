"""Worked examples: the Orkes blog stories (image processing, KYC, lending, secrets) in flowdsl."""
